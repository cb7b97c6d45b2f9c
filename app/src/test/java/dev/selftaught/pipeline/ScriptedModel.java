package dev.selftaught.pipeline;

import dev.selftaught.data.ChatMessage;
import dev.selftaught.llm.Completion;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;
import dev.selftaught.llm.Usage;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A deterministic language model with scripted behaviour, for pipeline tests. It recognises the
 * pipeline's prompts by their markers and answers like a model of a given judging skill would:
 * <ul>
 *   <li>categorisation: "Category: reasoning" when the instruction contains a digit, else "Category: other";</li>
 *   <li>a plain instruction: "Answer to: INSTRUCTION";</li>
 *   <li>the modified-instruction prompt: x' = "INSTRUCTION (but in reverse)" and its answer, with
 *       scripted faults when the instruction contains NOMARKER, SAME or EMPTY;</li>
 *   <li>the bad-response prompt: a worse answer between the markers;</li>
 *   <li>a judge prompt: the verdict naming the "Answer to: QUESTION" response with probability
 *       {@code skill}, else a wrong, missing or doubled verdict.</li>
 * </ul>
 * Every sample is a pure function of (prompt, sample seed), like a seeded real sampler. Inner calls
 * are counted per prompt so tests can prove no call is repeated.
 */
final class ScriptedModel implements LanguageModel {
    static final Pattern Q = Pattern.compile("\\[User Question]\\n(.*?)\\n\\n\\[The Start of Assistant A's Answer]\\n(.*?)\\n"
            + "\\[The End of Assistant A's Answer]\\n\\n\\[The Start of Assistant B's Answer]\\n(.*?)\\n\\[The End of Assistant B's Answer]",
            Pattern.DOTALL);
    static final Pattern INSTR = Pattern.compile("\\[User Question]\\n(.*?)\\n\\n\\[The start of Assistant's Answer]", Pattern.DOTALL);
    static final Pattern CAT = Pattern.compile("\\[User Request]\\n(.*?)\\n\\[End of User Request]", Pattern.DOTALL);

    final String name;
    final double skill;
    /** Inner calls (one per sample) across all instances, keyed by identity + prompt + seed. */
    final Map<String, AtomicLong> calls;

    ScriptedModel(String name, double skill, Map<String, AtomicLong> calls) {
        this.name = name;
        this.skill = skill;
        this.calls = calls;
    }

    ScriptedModel(String name, double skill) { this(name, skill, new ConcurrentHashMap<>()); }

    /** "scripted:NAME@SKILL", e.g. scripted:seed@0.5. */
    static ScriptedModel fromSpec(String spec, Map<String, AtomicLong> calls) {
        String s = spec.substring(spec.indexOf(':') + 1);
        int at = s.indexOf('@');
        return new ScriptedModel(s.substring(0, at), Double.parseDouble(s.substring(at + 1)), calls);
    }

    long totalCalls() { return calls.values().stream().mapToLong(AtomicLong::get).sum(); }

    /** Inner sample calls left before an injected crash; negative = never crash. Shared by all instances of a test. */
    java.util.concurrent.atomic.AtomicLong crashBudget = new java.util.concurrent.atomic.AtomicLong(-1);

    @Override
    public String identity() { return "scripted:" + name + "@" + skill; }

    /** Sequential (deterministic) batch; throws mid-batch when the crash budget runs out, like a killed process. */
    @Override
    public void completeAll(List<ModelRequest> requests, int concurrency, ResultSink sink) {
        if (crashBudget.get() < 0) { // concurrent, so the call store can group its commits
            LanguageModel.super.completeAll(requests, Math.max(concurrency, 8), sink);
            return;
        }
        for (int i = 0; i < requests.size(); i++) {
            if (crashBudget.get() >= 0 && crashBudget.getAndAdd(-requests.get(i).params().n()) < requests.get(i).params().n()) {
                crashBudget.set(-1);
                throw new IllegalStateException("injected crash after some calls");
            }
            sink.accept(i, complete(requests.get(i)), null);
        }
    }

    @Override
    public ModelResponse complete(ModelRequest request) {
        String prompt = request.isChat() ? flatten(request.messages()) : request.prompt();
        List<Completion> out = new ArrayList<>();
        for (int k = 0; k < request.params().n(); k++) {
            Long seed = request.params().sampleSeed(k);
            calls.computeIfAbsent(identity() + "\u0000" + prompt + "\u0000" + seed, x -> new AtomicLong()).incrementAndGet();
            long mix = (seed == null ? 0 : seed) * 31 + prompt.hashCode();
            out.add(new Completion(answer(request, prompt, new Random(mix)), "stop"));
        }
        return new ModelResponse(out, new Usage(prompt.length() / 4, 10));
    }

    private static String flatten(List<ChatMessage> m) {
        StringBuilder sb = new StringBuilder();
        for (ChatMessage c : m) sb.append(c.role()).append(": ").append(c.content()).append('\n');
        return sb.toString();
    }

    private String answer(ModelRequest req, String prompt, Random rnd) {
        String user = req.messages().getLast().content();
        Matcher m = Q.matcher(user);
        if (m.find()) return judge(m.group(1), m.group(2), m.group(3), rnd);
        m = CAT.matcher(user);
        if (m.find()) return m.group(1).matches("(?s).*\\d.*") ? "Category: reasoning" : "Category: other";
        if (user.contains("[User Question Modified]")) {
            Matcher im = INSTR.matcher(user);
            String x = im.find() ? im.group(1) : "?";
            if (x.contains("NOMARKER")) return "Here is a modified question: " + x + " reversed";
            String xp = x.contains("SAME") ? x : x + " (but in reverse)";
            String yl = x.contains("EMPTY") ? "" : "Answer to: " + xp;
            return "[User Question Modified]\n" + xp + "\n\n[The start of Assistant's answer to the modified instruction]\n"
                    + yl + "\n[The end of Assistant's answer to the modified instruction]";
        }
        if (user.contains("[The start of the worse answer]")) {
            Matcher im = INSTR.matcher(user);
            String x = im.find() ? im.group(1) : "?";
            return "[The start of the worse answer]\nA careless reply about " + x + "\n[The end of the worse answer]";
        }
        return "Answer to: " + user;
    }

    /** Correct with probability skill; otherwise wrong (half), no verdict (quarter) or both markers (quarter). */
    private String judge(String q, String a, String b, Random rnd) {
        String good = "Answer to: " + q;
        String correct = a.equals(good) ? "A" : b.equals(good) ? "B" : (rnd.nextBoolean() ? "A" : "B");
        double u = rnd.nextDouble();
        String reasoning = "Comparing both answers to '" + q.substring(0, Math.min(20, q.length())) + "' (draw " + rnd.nextInt(1000) + ").";
        if (u < skill) return reasoning + " Verdict: [[" + correct + "]]";
        double v = rnd.nextDouble();
        if (v < 0.5) return reasoning + " Verdict: [[" + (correct.equals("A") ? "B" : "A") + "]]";
        if (v < 0.75) return reasoning + " I cannot decide.";
        return reasoning + " Either [[A]] or [[B]].";
    }
}
