package dev.selftaught.train;

import dev.selftaught.data.DataRecord;
import dev.selftaught.data.Datasets;
import dev.selftaught.data.InputError;
import dev.selftaught.data.RecordReader;
import dev.selftaught.engine.chat.ChatTemplate;
import dev.selftaught.engine.tokenizer.Tokenizer;
import dev.selftaught.engine.train.DpoPlan;
import dev.selftaught.engine.train.SftPlan;
import dev.selftaught.data.ChatMessage;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads fine-tuning rows in TRL's dataset shapes from any dataset file {@link Datasets#read} takes
 * (JSONL, JSON, Parquet, CSV; optionally gzipped), one shape per row:
 *
 * <ul>
 *   <li>language modelling, {@code {"text": "..."}}: every token after BOS is a target;</li>
 *   <li>conversational, {@code {"messages": [{"role", "content"}, ...]}}: the last turn must be the
 *       assistant's and is the target; the turns before it are rendered with the chat template and
 *       its generation prompt, exactly as the embedded model renders a chat request;</li>
 *   <li>prompt-completion, {@code {"prompt": "...", "completion": "..."}}: the prompt is encoded
 *       as-is after BOS, as the embedded model encodes a raw prompt;</li>
 *   <li>conversational prompt-completion, {@code {"prompt": [turns...], "completion": [{"role":
 *       "assistant", ...}]}}: the prompt turns through the chat template, the one assistant turn as
 *       target;</li>
 *   <li>preference, {@code {"prompt", "chosen", "rejected"}} as strings or conversational lists
 *       (also with the prompt implicit in {@code chosen}/{@code rejected}): read and validated by
 *       {@link #preferences}; SFT refuses them with a message saying so.</li>
 * </ul>
 * The completion is followed by the end-of-sequence token so the model learns to stop.
 * Bad rows fail with file, row and field (an {@link InputError}: exit code 2).
 */
public final class TrainRows {
    private TrainRows() {}

    /** The shapes, for error messages. */
    static final String SHAPES = "\"text\", \"messages\", \"prompt\"+\"completion\" (strings or message lists), or \"prompt\"+\"chosen\"+\"rejected\"";

    /** A preference row, validated: the prompt as text or turns, and the chosen and rejected answers' text. */
    public record Preference(Path file, long row, String promptText, List<ChatTemplate.Turn> promptTurns, String chosen, String rejected) {
        public boolean conversational() { return promptTurns != null; }
    }

    /** SFT examples from every row of {@code file}. */
    public static List<SftPlan.Example> read(Path file, Tokenizer tok, ChatTemplate template) {
        List<SftPlan.Example> out = new ArrayList<>();
        try (RecordReader r = Datasets.read(file)) {
            while (r.hasNext()) out.add(example(r.next(), tok, template));
        }
        return out;
    }

    /** Every row of {@code file} as a validated preference pair (for DPO-style training). */
    public static List<Preference> preferences(Path file) {
        List<Preference> out = new ArrayList<>();
        try (RecordReader r = Datasets.read(file)) {
            while (r.hasNext()) {
                DataRecord row = r.next();
                if (!row.has("chosen") && !row.has("rejected")) {
                    throw InputError.at(row.file(), row.line(), null, "expected a preference row: \"chosen\" and \"rejected\" (with \"prompt\" or an implicit prompt)");
                }
                out.add(preference(row));
            }
        }
        return out;
    }

    /**
     * Every preference row of {@code file} in tokens for DPO: the prompt rendered as SFT renders it
     * (turns through the chat template with its generation prompt, or text as-is), each answer
     * followed by the end-of-sequence token.
     */
    public static List<DpoPlan.Pair> pairs(Path file, Tokenizer tok, ChatTemplate template) {
        List<DpoPlan.Pair> out = new ArrayList<>();
        for (Preference p : preferences(file)) {
            boolean chat = p.conversational();
            String prompt = chat ? template.render(p.promptTurns(), true) : p.promptText();
            SftPlan.Example c = encode(tok, prompt, p.chosen(), chat), r = encode(tok, prompt, p.rejected(), chat);
            if (!Arrays.equals(c.prompt(), r.prompt())) {
                throw InputError.at(p.file(), p.row(), "prompt", "the prompt encodes differently before the chosen and the rejected answer; give a non-empty prompt");
            }
            out.add(new DpoPlan.Pair(c.prompt(), c.completion(), r.completion()));
        }
        if (out.isEmpty()) throw new InputError(file + ": no preference rows");
        return out;
    }

    static SftPlan.Example example(DataRecord row, Tokenizer tok, ChatTemplate template) {
        String completion;
        String promptText;
        boolean specials = false;
        String targetField;
        if (row.has("chosen") || row.has("rejected")) {
            preference(row); // report a malformed preference row as such
            throw row.error(row.has("chosen") ? "chosen" : "rejected",
                    "preference rows (prompt/chosen/rejected) train by DPO (train --method dpo, train.method: dpo);"
                            + " supervised fine-tuning takes " + SHAPES.substring(0, SHAPES.lastIndexOf(", or")));
        }
        onlyOneShape(row);
        if (row.has("messages")) {
            List<ChatMessage> msgs = row.messages("messages");
            ChatMessage last = msgs.getLast();
            if (!last.role().equals("assistant")) {
                throw row.error("messages[" + (msgs.size() - 1) + "].role", "the last turn must be the assistant's (it is the training target)");
            }
            completion = last.content();
            promptText = template.render(turns(msgs.subList(0, msgs.size() - 1)), true);
            specials = true;
            targetField = "messages[" + (msgs.size() - 1) + "].content";
        } else if (row.has("text")) {
            promptText = "";
            completion = row.string("text");
            targetField = "text";
        } else if (row.has("prompt") || row.has("completion")) {
            if (!row.has("completion")) throw row.error("completion", "missing (a prompt row needs its completion)");
            if (!row.has("prompt")) throw row.error("prompt", "missing (a completion row needs its prompt)");
            boolean promptIsChat = row.node("prompt").isArray(), completionIsChat = row.node("completion").isArray();
            if (promptIsChat != completionIsChat) {
                throw row.error(completionIsChat ? "prompt" : "completion", "prompt and completion must both be strings or both be message lists");
            }
            if (promptIsChat) {
                promptText = template.render(turns(row.messages("prompt")), true);
                completion = assistantTurn(row, "completion");
                specials = true;
                targetField = "completion[0].content";
            } else {
                promptText = row.string("prompt");
                completion = row.string("completion");
                targetField = "completion";
            }
        } else {
            throw InputError.at(row.file(), row.line(), null, "expected one of the TRL shapes " + SHAPES + "; got fields " + fieldNames(row));
        }
        if (completion.isEmpty()) throw row.error(targetField, "the target text is empty");
        return encode(tok, promptText, completion, specials);
    }

    /** A row carrying two SFT shapes at once is ambiguous: which one is the target? */
    private static void onlyOneShape(DataRecord row) {
        List<String> shapes = new ArrayList<>();
        if (row.has("messages")) shapes.add("messages");
        if (row.has("text")) shapes.add("text");
        if (row.has("prompt") || row.has("completion")) shapes.add(row.has("prompt") ? "prompt" : "completion");
        if (shapes.size() > 1) throw row.error(shapes.get(1), "the row has both \"" + shapes.get(0) + "\" and \"" + shapes.get(1) + "\"; use one TRL shape per row");
    }

    static Preference preference(DataRecord row) {
        for (String f : new String[] {"chosen", "rejected"}) if (!row.has(f)) throw row.error(f, "missing (a preference row needs chosen and rejected)");
        for (String f : new String[] {"messages", "text", "completion"}) {
            if (row.has(f)) throw row.error(f, "a preference row (prompt/chosen/rejected) cannot also have \"" + f + "\"");
        }
        boolean chat = row.node("chosen").isArray();
        if (row.node("rejected").isArray() != chat) throw row.error("rejected", "chosen and rejected must both be strings or both be message lists");
        if (!chat) {
            String prompt = row.string("prompt");
            String chosen = row.string("chosen"), rejected = row.string("rejected");
            if (chosen.isEmpty()) throw row.error("chosen", "empty");
            if (rejected.isEmpty()) throw row.error("rejected", "empty");
            return new Preference(row.file(), row.line(), prompt, null, chosen, rejected);
        }
        if (row.has("prompt")) {
            if (!row.node("prompt").isArray()) throw row.error("prompt", "must be a message list when chosen and rejected are message lists");
            List<ChatMessage> prompt = row.messages("prompt");
            if (prompt.getLast().role().equals("assistant")) throw row.error("prompt[" + (prompt.size() - 1) + "].role", "the prompt must not end with the assistant's turn");
            return new Preference(row.file(), row.line(), null, turns(prompt), assistantTurn(row, "chosen"), assistantTurn(row, "rejected"));
        }
        // Implicit prompt: chosen and rejected are whole conversations that share every turn but the last.
        List<ChatMessage> c = row.messages("chosen"), r = row.messages("rejected");
        if (c.size() < 2) throw row.error("chosen", "without \"prompt\", chosen must be a whole conversation: prompt turns, then the assistant's answer");
        if (c.size() != r.size() || !c.subList(0, c.size() - 1).equals(r.subList(0, r.size() - 1))) {
            throw row.error("rejected", "without \"prompt\", chosen and rejected must share every turn but the last");
        }
        for (String f : new String[] {"chosen", "rejected"}) {
            List<ChatMessage> m = f.equals("chosen") ? c : r;
            if (!m.getLast().role().equals("assistant")) throw row.error(f + "[" + (m.size() - 1) + "].role", "the last turn must be the assistant's");
            if (m.getLast().content().isEmpty()) throw row.error(f + "[" + (m.size() - 1) + "].content", "empty");
        }
        return new Preference(row.file(), row.line(), null, turns(c.subList(0, c.size() - 1)), c.getLast().content(), r.getLast().content());
    }

    /** The content of the single assistant turn TRL's conversational completion/chosen/rejected lists hold. */
    private static String assistantTurn(DataRecord row, String field) {
        List<ChatMessage> m = row.messages(field);
        if (m.size() != 1) throw row.error(field, "expected exactly one assistant message, got " + m.size());
        if (!m.getFirst().role().equals("assistant")) throw row.error(field + "[0].role", "expected assistant, got \"" + m.getFirst().role() + "\"");
        if (m.getFirst().content().isEmpty()) throw row.error(field + "[0].content", "empty");
        return m.getFirst().content();
    }

    private static List<ChatTemplate.Turn> turns(List<ChatMessage> msgs) {
        List<ChatTemplate.Turn> t = new ArrayList<>(msgs.size());
        for (ChatMessage m : msgs) t.add(new ChatTemplate.Turn(m.role(), m.content()));
        return t;
    }

    private static String fieldNames(DataRecord row) {
        List<String> names = new ArrayList<>();
        row.json().fieldNames().forEachRemaining(names::add);
        return names.isEmpty() ? "none" : String.join(", ", names);
    }

    /**
     * Encodes prompt and prompt+completion and splits where they agree: encoding the completion
     * alone would add a word-initial space marker that generation after the prompt never sees.
     */
    private static SftPlan.Example encode(Tokenizer tok, String promptText, String completion, boolean specials) {
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
