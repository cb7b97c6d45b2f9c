package dev.selftaught.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.selftaught.data.InputError;
import dev.selftaught.engine.chat.ChatTemplate;
import dev.selftaught.engine.tokenizer.Tokenizer;
import dev.selftaught.engine.train.SftPlan;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads fine-tuning rows from JSONL and turns them into (prompt, completion) token pairs.
 *
 * <ul>
 *   <li>{@code {"messages": [{"role": ..., "content": ...}, ...]}}: the last turn must be the
 *       assistant's and is the target; the turns before it are rendered with the chat template and
 *       its generation prompt, exactly as the embedded model renders a chat request.</li>
 *   <li>{@code {"prompt": "...", "completion": "..."}}: the prompt is encoded as-is after BOS,
 *       as the embedded model encodes a raw prompt.</li>
 * </ul>
 * The completion is followed by the end-of-sequence token so the model learns to stop.
 * Bad rows fail with file, line and field.
 */
public final class TrainRows {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TrainRows() {}

    public static List<SftPlan.Example> read(Path file, Tokenizer tok, ChatTemplate template) {
        List<SftPlan.Example> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            long n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) continue;
                JsonNode row;
                try {
                    row = JSON.readTree(line);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw InputError.at(file, n, null, "not valid JSON: " + e.getOriginalMessage());
                }
                if (row == null || !row.isObject()) throw InputError.at(file, n, null, "expected a JSON object per line");
                out.add(example(file, n, row, tok, template));
            }
        } catch (NoSuchFileException e) {
            throw new InputError(file + ": no such file");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        if (out.isEmpty()) throw InputError.at(file, 0, null, "no training rows (expected JSONL with messages or prompt/completion)");
        return out;
    }

    static SftPlan.Example example(Path file, long line, JsonNode row, Tokenizer tok, ChatTemplate template) {
        String completion;
        String promptText;
        boolean specials = false;
        if (row.has("messages")) {
            JsonNode msgs = row.get("messages");
            if (!msgs.isArray() || msgs.isEmpty()) throw InputError.at(file, line, "messages", "must be a non-empty array of {role, content}");
            List<ChatTemplate.Turn> turns = new ArrayList<>();
            for (int i = 0; i < msgs.size(); i++) {
                JsonNode m = msgs.get(i);
                String field = "messages[" + i + "]";
                if (!m.isObject()) throw InputError.at(file, line, field, "must be an object with role and content");
                JsonNode role = m.get("role"), content = m.get("content");
                if (role == null || !role.isTextual()) throw InputError.at(file, line, field + ".role", "missing or not a string");
                if (content == null || !content.isTextual()) throw InputError.at(file, line, field + ".content", "missing or not a string");
                String rl = role.asText();
                if (!rl.equals("system") && !rl.equals("user") && !rl.equals("assistant")) {
                    throw InputError.at(file, line, field + ".role", "must be system, user or assistant, got '" + rl + "'");
                }
                turns.add(new ChatTemplate.Turn(rl, content.asText()));
            }
            ChatTemplate.Turn last = turns.getLast();
            if (!last.role().equals("assistant")) {
                throw InputError.at(file, line, "messages[" + (turns.size() - 1) + "].role", "the last turn must be the assistant's (it is the training target)");
            }
            completion = last.content();
            promptText = template.render(turns.subList(0, turns.size() - 1), true);
            specials = true;
        } else if (row.has("prompt") || row.has("completion")) {
            JsonNode p = row.get("prompt"), c = row.get("completion");
            if (p == null || !p.isTextual()) throw InputError.at(file, line, "prompt", "missing or not a string");
            if (c == null || !c.isTextual()) throw InputError.at(file, line, "completion", "missing or not a string");
            promptText = p.asText();
            completion = c.asText();
        } else {
            throw InputError.at(file, line, null, "expected either \"messages\" or \"prompt\" and \"completion\"");
        }
        if (completion.isEmpty()) throw InputError.at(file, line, row.has("messages") ? "messages" : "completion", "the target text is empty");
        // Encode prompt and prompt+completion and split where they agree: encoding the completion
        // alone would add a word-initial space marker that generation after the prompt never sees.
        int[] prompt = encode(tok, promptText, specials);
        int[] full = encode(tok, promptText + completion, specials);
        int[] comp;
        if (full.length > prompt.length && Arrays.equals(full, 0, prompt.length, prompt, 0, prompt.length)) {
            comp = Arrays.copyOfRange(full, prompt.length, full.length);
        } else {
            comp = tok.encode(completion, false);
        }
        int eos = tok.eos() >= 0 ? tok.eos() : (tok.stopIds().length > 0 ? tok.stopIds()[0] : -1);
        if (eos >= 0) {
            comp = Arrays.copyOf(comp, comp.length + 1);
            comp[comp.length - 1] = eos;
        }
        if (prompt.length == 0) {
            // a target needs one token of context; without BOS the first completion token is context
            prompt = new int[] {comp[0]};
            comp = Arrays.copyOfRange(comp, 1, comp.length);
        }
        return new SftPlan.Example(prompt, comp);
    }

    /** As the embedded model encodes: BOS first, a template's own BOS text not doubled. */
    private static int[] encode(Tokenizer tok, String text, boolean specials) {
        if (!specials) return tok.encode(text, true);
        int[] ids = tok.encodeWithSpecials(text, true);
        if (ids.length > 1 && ids[0] == tok.bos() && ids[1] == tok.bos()) ids = Arrays.copyOfRange(ids, 1, ids.length);
        return ids;
    }
}
