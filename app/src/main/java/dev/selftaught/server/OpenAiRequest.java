package dev.selftaught.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.selftaught.data.ChatMessage;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.SamplingParams;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A parsed and validated /v1/chat/completions or /v1/completions body. Every problem is an
 * {@link ApiError} 400 naming the parameter; nothing reaches the model unless it is valid.
 *
 * @param requests one model request per prompt (chat: exactly one)
 */
record OpenAiRequest(boolean chat, List<ModelRequest> requests, boolean stream, boolean includeUsage, boolean echo) {

    private static final Set<String> ROLES = Set.of("system", "user", "assistant", "developer");
    private static final int MAX_STOP = 16;
    /** Smallest non-zero temperature: below it, sampling is greedy in all but name (and 1/T gets huge). */
    static final double MIN_TEMPERATURE = 0.01;
    private static final int MAX_STOP_TOKEN_IDS = 64;
    /** Every field either endpoint understands; any other is refused (400), never silently ignored. */
    private static final Set<String> COMMON = Set.of("model", "n", "seed", "stop", "temperature", "top_p", "top_k", "min_p",
            "max_tokens", "stream", "stream_options", "presence_penalty", "frequency_penalty", "repetition_penalty",
            "min_tokens", "stop_token_ids", "ignore_eos", "user", "logprobs", "logit_bias", "guided_choice", "guided_regex",
            "response_format", "tools", "functions", "tool_choice", "function_call");
    private static final Set<String> CHAT_ONLY = Set.of("messages", "max_completion_tokens", "top_logprobs");
    /** Most alternatives per token (OpenAI's bound for top_logprobs; vLLM's default max_logprobs is 20 too). */
    static final int MAX_TOP_LOGPROBS = 20;
    /** guided_choice: most choices and longest choice in bytes; guided_regex: longest pattern. */
    static final int MAX_CHOICES = 256, MAX_CHOICE_BYTES = 256, MAX_REGEX_CHARS = 1024;
    private static final Set<String> COMPLETION_ONLY = Set.of("prompt", "echo", "suffix", "best_of");

    static OpenAiRequest parse(ObjectNode body, boolean chat, ServerOptions opts) {
        model(body, opts);
        rejectUnknown(body, chat);
        rejectUnsupported(body, chat);
        SamplingParams params = sampling(body, chat, opts);
        boolean stream = bool(body, "stream", false);
        boolean includeUsage = false;
        JsonNode so = body.get("stream_options");
        if (so != null && !so.isNull()) {
            if (!so.isObject()) throw ApiError.badParam("stream_options", "stream_options must be an object");
            JsonNode iu = so.get("include_usage");
            if (iu != null && !iu.isNull()) {
                if (!iu.isBoolean()) throw ApiError.badParam("stream_options.include_usage", "include_usage must be a boolean");
                includeUsage = iu.asBoolean();
            }
        }
        List<ModelRequest> requests = new ArrayList<>();
        if (chat) {
            requests.add(ModelRequest.chat(messages(body), params));
        } else {
            for (String p : prompts(body)) requests.add(ModelRequest.completion(p, params));
        }
        if ((long) requests.size() * params.n() > opts.maxN()) {
            throw ApiError.badParam("n", "at most " + opts.maxN() + " completions per request (prompts × n), got "
                    + requests.size() * (long) params.n());
        }
        boolean echo = !chat && bool(body, "echo", false);
        if (echo && stream) throw ApiError.badParam("echo", "echo is not supported together with stream on this server");
        return new OpenAiRequest(chat, List.copyOf(requests), stream, includeUsage, echo);
    }

    private static void model(ObjectNode body, ServerOptions opts) {
        JsonNode m = body.get("model");
        if (m == null || m.isNull()) return; // OpenAI requires it; we serve one model, so absent means that one
        if (!m.isTextual()) throw ApiError.badParam("model", "model must be a string");
        if (!m.asText().equals(opts.modelName())) {
            throw new ApiError(404, "invalid_request_error", "model", "model_not_found",
                    "The model '" + m.asText() + "' does not exist; this server serves '" + opts.modelName() + "' (see /v1/models).");
        }
    }

    private static void rejectUnknown(ObjectNode body, boolean chat) {
        for (var it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (COMMON.contains(f) || (chat ? CHAT_ONLY : COMPLETION_ONLY).contains(f)) continue;
            String shown = f.length() > 64 ? f.substring(0, 64) + "..." : f;
            if (f.startsWith("guided_")) {
                throw ApiError.badParam(shown, shown + " is not supported by this server; of vLLM's guided decoding it implements guided_choice and guided_regex");
            }
            if ((chat ? COMPLETION_ONLY : CHAT_ONLY).contains(f)) {
                throw ApiError.badParam(shown, shown + " belongs to " + (chat ? "/v1/completions" : "/v1/chat/completions") + ", not this endpoint");
            }
            throw ApiError.badParam(shown, "unknown field '" + shown + "': this server refuses fields it does not implement rather "
                    + "than ignore them (see docs/server.md for the list)");
        }
    }

    private static void rejectUnsupported(ObjectNode body, boolean chat) {
        // Features that would change the answer: refuse them rather than silently ignore them.
        for (String f : List.of("tools", "functions", "tool_choice", "function_call")) {
            if (present(body.get(f))) throw ApiError.badParam(f, f + " (tool calling) is not supported by this server");
        }
        JsonNode rf = body.get("response_format");
        if (present(rf) && !(rf.isObject() && "text".equals(rf.path("type").asText()))) {
            throw ApiError.badParam("response_format", "only response_format {\"type\": \"text\"} is supported");
        }
        JsonNode lb = body.get("logit_bias");
        if (present(lb) && !(lb.isObject() && lb.isEmpty())) throw ApiError.badParam("logit_bias", "logit_bias is not supported by this server");
        if (!chat) {
            if (present(body.get("suffix"))) throw ApiError.badParam("suffix", "suffix is not supported by this server");
            JsonNode bo = body.get("best_of");
            if (present(bo) && !(bo.isInt() && bo.asInt() <= 1)) throw ApiError.badParam("best_of", "best_of is not supported by this server");
        }
    }

    private static SamplingParams sampling(ObjectNode body, boolean chat, ServerOptions opts) {
        double temperature = number(body, "temperature", 1.0);
        if (!(temperature == 0 || (temperature >= MIN_TEMPERATURE && temperature <= 2))) {
            throw ApiError.badParam("temperature", "temperature must be 0 (greedy) or in [" + MIN_TEMPERATURE + ", 2], got " + temperature);
        }
        double topP = number(body, "top_p", 1.0);
        if (topP <= 0 || topP > 1) throw ApiError.badParam("top_p", "top_p must be in (0, 1], got " + topP);
        long topK = integer(body, "top_k", 0);
        if (topK == -1) topK = 0; // vLLM's "off"
        if (topK < 0 || topK > Integer.MAX_VALUE) throw ApiError.badParam("top_k", "top_k must be >= 0 (or -1 for off), got " + topK);
        double minP = number(body, "min_p", 0.0);
        if (minP < 0 || minP >= 1) throw ApiError.badParam("min_p", "min_p must be in [0, 1), got " + minP);
        long n = integer(body, "n", 1);
        if (n < 1) throw ApiError.badParam("n", "n must be >= 1, got " + n);
        if (n > opts.maxN()) throw ApiError.badParam("n", "n must be at most " + opts.maxN() + " on this server, got " + n);
        String tokensParam = chat && present(body.get("max_completion_tokens")) ? "max_completion_tokens" : "max_tokens";
        long maxTokens = integer(body, tokensParam, Math.min(opts.defaultMaxTokens(), opts.maxTokensLimit()));
        if (maxTokens < 1) throw ApiError.badParam(tokensParam, tokensParam + " must be >= 1, got " + maxTokens);
        if (maxTokens > opts.maxTokensLimit()) {
            throw ApiError.badParam(tokensParam, tokensParam + " must be at most " + opts.maxTokensLimit() + " on this server, got " + maxTokens);
        }
        Long seed = present(body.get("seed")) ? integer(body, "seed", 0) : null;
        return new SamplingParams(temperature, topP, (int) topK, minP, (int) maxTokens, stop(body), seed, (int) n,
                extra(body, chat, maxTokens));
    }

    /**
     * vLLM's and OpenAI's further sampling fields, validated here and carried in
     * {@link SamplingParams#extra()} (the embedded engine implements them; an HTTP relay passes them
     * on). Only fields that differ from their "off" value are carried.
     */
    private static Map<String, Object> extra(ObjectNode body, boolean chat, long maxTokens) {
        Map<String, Object> x = new java.util.LinkedHashMap<>();
        logprobs(body, chat, x);
        guided(body, x);
        double rep = number(body, "repetition_penalty", 1.0);
        if (!(rep >= 0.01 && rep <= 100)) throw ApiError.badParam("repetition_penalty", "repetition_penalty must be in [0.01, 100] (1 = off), got " + rep);
        if (rep != 1.0) x.put("repetition_penalty", rep);
        for (String f : List.of("presence_penalty", "frequency_penalty")) {
            double v = number(body, f, 0.0);
            if (!(v >= -2 && v <= 2)) throw ApiError.badParam(f, f + " must be in [-2, 2], got " + v);
            if (v != 0) x.put(f, v);
        }
        long minTokens = integer(body, "min_tokens", 0);
        if (minTokens < 0 || minTokens > maxTokens) {
            throw ApiError.badParam("min_tokens", "min_tokens must be in [0, max_tokens = " + maxTokens + "], got " + minTokens);
        }
        if (minTokens > 0) x.put("min_tokens", (int) minTokens);
        JsonNode ids = body.get("stop_token_ids");
        if (present(ids)) {
            if (!ids.isArray()) throw ApiError.badParam("stop_token_ids", "stop_token_ids must be an array of token ids");
            if (ids.size() > MAX_STOP_TOKEN_IDS) throw ApiError.badParam("stop_token_ids", "at most " + MAX_STOP_TOKEN_IDS + " stop_token_ids, got " + ids.size());
            List<Integer> list = new ArrayList<>();
            for (JsonNode e : ids) {
                if (!e.canConvertToInt() || !e.isIntegralNumber() || e.asInt() < 0) {
                    throw ApiError.badParam("stop_token_ids", "stop_token_ids must hold non-negative integer token ids, got " + e);
                }
                list.add(e.asInt());
            }
            if (!list.isEmpty()) x.put("stop_token_ids", List.copyOf(list));
        }
        if (bool(body, "ignore_eos", false)) x.put("ignore_eos", true);
        return x;
    }

    /**
     * Chat: {@code logprobs} (boolean) and {@code top_logprobs} (0..20, needs logprobs); completions:
     * {@code logprobs} (0..20 alternatives) and {@code echo}. Carried as {@link SamplingParams#LOGPROBS}
     * (the number of alternatives) and {@link SamplingParams#ECHO}.
     */
    private static void logprobs(ObjectNode body, boolean chat, Map<String, Object> x) {
        JsonNode lp = body.get("logprobs");
        int top = -1;
        if (chat) {
            boolean on = bool(body, "logprobs", false);
            JsonNode t = body.get("top_logprobs");
            if (present(t)) {
                long k = integer(body, "top_logprobs", 0);
                if (k < 0 || k > MAX_TOP_LOGPROBS) throw ApiError.badParam("top_logprobs", "top_logprobs must be in [0, " + MAX_TOP_LOGPROBS + "], got " + k);
                if (!on) throw ApiError.badParam("top_logprobs", "top_logprobs needs logprobs: true");
                top = (int) k;
            } else if (on) {
                top = 0;
            }
        } else if (present(lp)) {
            if (lp.isBoolean()) throw ApiError.badParam("logprobs", "logprobs on /v1/completions is the number of alternatives per token (0-" + MAX_TOP_LOGPROBS + "), not a boolean");
            long k = integer(body, "logprobs", 0);
            if (k < 0 || k > MAX_TOP_LOGPROBS) throw ApiError.badParam("logprobs", "logprobs must be in [0, " + MAX_TOP_LOGPROBS + "], got " + k);
            top = (int) k;
        }
        if (top >= 0) x.put(SamplingParams.LOGPROBS, top);
        if (!chat && bool(body, "echo", false)) x.put(SamplingParams.ECHO, true);
    }

    /** vLLM's guided_choice and guided_regex, bounded here (the backend compiles and bounds the automaton). */
    private static void guided(ObjectNode body, Map<String, Object> x) {
        JsonNode ch = body.get("guided_choice"), re = body.get("guided_regex");
        if (present(ch) && present(re)) throw ApiError.badParam("guided_choice", "send at most one of guided_choice and guided_regex");
        if (present(ch)) {
            if (!ch.isArray() || ch.isEmpty()) throw ApiError.badParam("guided_choice", "guided_choice must be a non-empty array of strings");
            if (ch.size() > MAX_CHOICES) throw ApiError.badParam("guided_choice", "at most " + MAX_CHOICES + " guided_choice entries, got " + ch.size());
            List<String> choices = new ArrayList<>();
            for (JsonNode c : ch) {
                if (!c.isTextual() || c.asText().isEmpty()) throw ApiError.badParam("guided_choice", "guided_choice entries must be non-empty strings");
                if (c.asText().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_CHOICE_BYTES) {
                    throw ApiError.badParam("guided_choice", "guided_choice entries must be at most " + MAX_CHOICE_BYTES + " bytes");
                }
                choices.add(c.asText());
            }
            x.put("guided_choice", List.copyOf(choices));
        }
        if (present(re)) {
            if (!re.isTextual() || re.asText().isEmpty()) throw ApiError.badParam("guided_regex", "guided_regex must be a non-empty string");
            if (re.asText().length() > MAX_REGEX_CHARS) throw ApiError.badParam("guided_regex", "guided_regex must be at most " + MAX_REGEX_CHARS + " characters");
            x.put("guided_regex", re.asText());
        }
    }

    private static List<String> stop(ObjectNode body) {
        JsonNode s = body.get("stop");
        if (!present(s)) return List.of();
        List<String> out = new ArrayList<>();
        if (s.isTextual()) {
            out.add(s.asText());
        } else if (s.isArray()) {
            for (JsonNode e : s) {
                if (!e.isTextual()) throw ApiError.badParam("stop", "stop must be a string or an array of strings");
                out.add(e.asText());
            }
        } else {
            throw ApiError.badParam("stop", "stop must be a string or an array of strings");
        }
        if (out.size() > MAX_STOP) throw ApiError.badParam("stop", "at most " + MAX_STOP + " stop strings, got " + out.size());
        if (out.stream().anyMatch(String::isEmpty)) throw ApiError.badParam("stop", "stop strings must not be empty");
        return out;
    }

    private static List<ChatMessage> messages(ObjectNode body) {
        JsonNode ms = body.get("messages");
        if (!present(ms)) throw new ApiError(400, "invalid_request_error", "messages", "missing_required_parameter", "messages is required");
        if (!ms.isArray() || ms.isEmpty()) throw ApiError.badParam("messages", "messages must be a non-empty array");
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < ms.size(); i++) {
            String at = "messages[" + i + "]";
            JsonNode m = ms.get(i);
            if (!m.isObject()) throw ApiError.badParam(at, at + " must be an object with role and content");
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual()) throw ApiError.badParam(at + ".role", at + ".role must be a string");
            String r = role.asText();
            if (!ROLES.contains(r)) {
                throw ApiError.badParam(at + ".role", at + ".role must be system, user or assistant (tool messages are not supported), got '" + r + "'");
            }
            if (r.equals("developer")) r = "system";
            out.add(new ChatMessage(r, content(m.get("content"), at + ".content")));
        }
        return out;
    }

    /** A string, or an array of {"type": "text", "text": ...} parts, concatenated. */
    private static String content(JsonNode c, String at) {
        if (c == null || c.isNull()) throw ApiError.badParam(at, at + " is required");
        if (c.isTextual()) return c.asText();
        if (c.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : c) {
                if (!part.isObject() || !"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ApiError.badParam(at, at + " parts must be {\"type\": \"text\", \"text\": ...} (images and audio are not supported)");
                }
                sb.append(part.get("text").asText());
            }
            return sb.toString();
        }
        throw ApiError.badParam(at, at + " must be a string or an array of text parts");
    }

    private static List<String> prompts(ObjectNode body) {
        JsonNode p = body.get("prompt");
        if (!present(p)) throw new ApiError(400, "invalid_request_error", "prompt", "missing_required_parameter", "prompt is required");
        if (p.isTextual()) return List.of(p.asText());
        if (p.isArray() && !p.isEmpty()) {
            List<String> out = new ArrayList<>();
            for (JsonNode e : p) {
                if (!e.isTextual()) throw ApiError.badParam("prompt", "prompt must be a string or an array of strings (token ids are not supported)");
                out.add(e.asText());
            }
            return out;
        }
        throw ApiError.badParam("prompt", "prompt must be a string or a non-empty array of strings");
    }

    private static boolean present(JsonNode n) {
        return n != null && !n.isNull();
    }

    private static boolean truthy(JsonNode n) {
        return present(n) && (n.isBoolean() ? n.asBoolean() : !(n.isNumber() && n.asInt() == 0));
    }

    private static boolean bool(ObjectNode body, String field, boolean fallback) {
        JsonNode v = body.get(field);
        if (!present(v)) return fallback;
        if (!v.isBoolean()) throw ApiError.badParam(field, field + " must be a boolean");
        return v.asBoolean();
    }

    private static double number(ObjectNode body, String field, double fallback) {
        JsonNode v = body.get(field);
        if (!present(v)) return fallback;
        if (!v.isNumber()) throw ApiError.badParam(field, field + " must be a number");
        return v.asDouble();
    }

    private static long integer(ObjectNode body, String field, long fallback) {
        JsonNode v = body.get(field);
        if (!present(v)) return fallback;
        if (v.isIntegralNumber() && v.canConvertToLong()) return v.asLong();
        if (v.isNumber() && v.asDouble() == Math.rint(v.asDouble()) && Math.abs(v.asDouble()) < 0x1p53) return (long) v.asDouble();
        throw ApiError.badParam(field, field + " must be an integer");
    }
}
