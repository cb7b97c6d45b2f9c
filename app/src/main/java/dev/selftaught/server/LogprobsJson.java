package dev.selftaught.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.selftaught.data.Json;
import dev.selftaught.llm.TokenLogprob;
import java.util.List;

/** Log-probabilities in OpenAI's two wire shapes. */
final class LogprobsJson {
    /** What OpenAI sends for a probability of zero (JSON has no -Infinity). */
    static final double FLOOR = -9999.0;

    private LogprobsJson() {}

    private static double finite(double lp) {
        return Double.isFinite(lp) ? lp : FLOOR;
    }

    /** Chat's {@code {"content": [{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}]}}. */
    static ObjectNode chat(List<TokenLogprob> lps) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ArrayNode content = root.putArray("content");
        for (TokenLogprob t : lps) {
            ObjectNode e = content.addObject().put("token", t.token()).put("logprob", finite(t.logprob()));
            bytes(e.putArray("bytes"), t.bytes());
            ArrayNode top = e.putArray("top_logprobs");
            for (TokenLogprob.Alternative a : t.top()) {
                ObjectNode o = top.addObject().put("token", a.token()).put("logprob", finite(a.logprob()));
                bytes(o.putArray("bytes"), a.bytes());
            }
        }
        root.putNull("refusal");
        return root;
    }

    private static void bytes(ArrayNode out, byte[] b) {
        for (byte x : b) out.add(x & 0xFF);
    }

    /**
     * Completions' legacy {@code {tokens, token_logprobs, top_logprobs, text_offset}}; offsets count
     * characters of the returned text from {@code offset} on; a null log-probability (the first
     * prompt token of an echo) is JSON null, and its top_logprobs entry too.
     */
    static ObjectNode legacy(List<TokenLogprob> lps, int offset) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ArrayNode tokens = root.putArray("tokens"), values = root.putArray("token_logprobs"),
                tops = root.putArray("top_logprobs"), offsets = root.putArray("text_offset");
        for (TokenLogprob t : lps) {
            tokens.add(t.token());
            offsets.add(offset);
            offset += t.token().length();
            if (t.logprob() == null) {
                values.addNull();
                tops.addNull();
                continue;
            }
            values.add(finite(t.logprob()));
            ObjectNode top = tops.addObject();
            for (TokenLogprob.Alternative a : t.top()) if (!top.has(a.token())) top.put(a.token(), finite(a.logprob()));
        }
        return root;
    }

    /** Characters the tokens add to the text (for the next chunk's offsets). */
    static int length(List<TokenLogprob> lps) {
        int n = 0;
        for (TokenLogprob t : lps) n += t.token().length();
        return n;
    }
}
