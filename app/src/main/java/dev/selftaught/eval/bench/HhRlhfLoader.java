package dev.selftaught.eval.bench;

import dev.selftaught.data.InputError;
import dev.selftaught.eval.PairwiseItem;
import dev.selftaught.data.ChatMessage;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Anthropic HH-RLHF transcripts ({@code {chosen, rejected}}, each a whole dialogue written as
 * "\n\nHuman: ..." / "\n\nAssistant: ..." turns). Both transcripts share every turn except the
 * last assistant reply; the shared part becomes the context (possibly many turns) and the two
 * last replies the answers. A record whose two transcripts differ before the last reply is
 * skipped and counted ("transcripts differ before the last reply").
 */
public final class HhRlhfLoader {

    private HhRlhfLoader() {}

    static final String HUMAN = "\n\nHuman:";
    static final String ASSISTANT = "\n\nAssistant:";

    public static Benchmark load(Path file, String subset) {
        List<PairwiseItem> items = new ArrayList<>();
        int differ = 0;
        for (Json.Located r : Json.readJsonl(file)) {
            String chosen = Json.text(file, r, "chosen");
            String rejected = Json.text(file, r, "rejected");
            int ic = chosen.lastIndexOf(ASSISTANT), ir = rejected.lastIndexOf(ASSISTANT);
            if (ic < 0 || ir < 0) throw InputError.at(file, r.line(), ic < 0 ? "chosen" : "rejected",
                    "no \"Assistant:\" turn in the transcript");
            String prefix = chosen.substring(0, ic);
            if (!prefix.equals(rejected.substring(0, ir))) {
                differ++;
                continue;
            }
            List<ChatMessage> context = turns(file, r.line(), prefix);
            items.add(new PairwiseItem(subset + "/" + (r.line() - 1), context,
                    chosen.substring(ic + ASSISTANT.length()).strip(),
                    rejected.substring(ir + ASSISTANT.length()).strip(), subset));
        }
        return new Benchmark(subset, items, differ == 0 ? Map.of()
                : Map.of(subset + ": transcripts differ before the last reply", differ));
    }

    /** Splits "\n\nHuman: x\n\nAssistant: y\n\nHuman: z" into user/assistant messages. */
    static List<ChatMessage> turns(Path file, long line, String transcript) {
        List<ChatMessage> out = new ArrayList<>();
        int pos = 0;
        while (pos < transcript.length()) {
            boolean human = transcript.startsWith(HUMAN, pos);
            boolean assistant = transcript.startsWith(ASSISTANT, pos);
            if (!human && !assistant) {
                throw InputError.at(file, line, "chosen", "expected \"Human:\" or \"Assistant:\" at offset " + pos);
            }
            int start = pos + (human ? HUMAN.length() : ASSISTANT.length());
            int next = nextTurn(transcript, start);
            String text = transcript.substring(start, next).strip();
            out.add(human ? ChatMessage.user(text) : ChatMessage.assistant(text));
            pos = next;
        }
        if (out.isEmpty() || !out.getLast().role().equals("user")) {
            throw InputError.at(file, line, "chosen", "the transcript does not end with a Human turn before the last reply");
        }
        return out;
    }

    private static int nextTurn(String t, int from) {
        int h = t.indexOf(HUMAN, from), a = t.indexOf(ASSISTANT, from);
        int n = t.length();
        if (h >= 0) n = Math.min(n, h);
        if (a >= 0) n = Math.min(n, a);
        return n;
    }
}
