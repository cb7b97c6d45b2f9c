package dev.selftaught.eval;

import dev.selftaught.data.ChatMessage;
import dev.selftaught.llm.Completion;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;
import dev.selftaught.llm.Usage;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A deterministic in-process judge for tests: it reads the rendered judge prompt, finds the two
 * answer blocks, and writes a judgment chosen by a rule given as a function of the prompt.
 * It is a real {@link LanguageModel} (no mocking framework); every request is recorded.
 */
final class ScriptedJudge implements LanguageModel {

    /** Decides the judgment texts (one per sample) from the user message and the request. */
    interface Rule extends Function<ModelRequest, List<String>> {}

    final List<ModelRequest> requests = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger calls = new AtomicInteger();
    private final Rule rule;

    ScriptedJudge(Rule rule) { this.rule = rule; }

    /** Says [[A]] or [[B]] for whichever shown answer contains "GOOD" (n copies). */
    static ScriptedJudge picksGood() {
        return new ScriptedJudge(r -> repeat(r, "Looking at both. " + (answerA(r).contains("GOOD") ? "[[A]]" : "[[B]]")));
    }

    /** Always says [[A]]: maximal position bias. */
    static ScriptedJudge alwaysA() { return new ScriptedJudge(r -> repeat(r, "A is first, so [[A]]")); }

    /** Never gives a verdict. */
    static ScriptedJudge mute() { return new ScriptedJudge(r -> repeat(r, "Both are fine, I cannot choose.")); }

    static List<String> repeat(ModelRequest r, String text) {
        return Collections.nCopies(r.params().n(), text);
    }

    static String user(ModelRequest r) {
        return r.messages().stream().filter(m -> m.role().equals("user")).map(ChatMessage::content).reduce((a, b) -> b).orElseThrow();
    }

    /** The text shown as Assistant A (one-turn or multi-turn prompt). */
    static String answerA(ModelRequest r) {
        String u = user(r);
        int s = u.indexOf("[The Start of Assistant A's Answer]");
        if (s >= 0) return u.substring(s, u.indexOf("[The End of Assistant A's Answer]"));
        s = u.indexOf("<|The Start of Assistant A's Conversation with User|>");
        return u.substring(s, u.indexOf("<|The End of Assistant A's Conversation with User|>"));
    }

    @Override
    public String identity() { return "scripted-judge"; }

    @Override
    public ModelResponse complete(ModelRequest request) {
        requests.add(request);
        calls.incrementAndGet();
        List<Completion> out = new ArrayList<>();
        for (String t : rule.apply(request)) out.add(new Completion(t, "stop"));
        return new ModelResponse(out, new Usage(10, 5));
    }
}
