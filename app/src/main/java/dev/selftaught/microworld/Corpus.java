package dev.selftaught.microworld;

import dev.selftaught.data.ChatMessage;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The seed model's pre-training corpus: chat conversations of five kinds, all drawn from training
 * seeds and none using a held-out benchmark or validation instruction.
 * <ul>
 *   <li>{@code respond}: instruction → correct response (the seed learns to answer);</li>
 *   <li>{@code modify}: the pair-making prompt → a similar instruction and its answer;</li>
 *   <li>{@code worse}: the direct bad-response prompt → a response with one mistake;</li>
 *   <li>{@code categorize}: the categorisation prompt → "Category: topic";</li>
 *   <li>{@code judge}: the judge prompt over a training-side pair → a reasoned judgment by the {@link WeakJudge}.</li>
 * </ul>
 */
public final class Corpus {

    /** One conversation; the last message is the assistant's. */
    public record Conversation(String kind, List<ChatMessage> messages) {
        public Conversation { messages = List.copyOf(messages); }
        public List<ChatMessage> prompt() { return messages.subList(0, messages.size() - 1); }
        public String target() { return messages.getLast().content(); }
    }

    /** Relative weights of the kinds, in this order: respond, modify, worse, categorize, judge. */
    static final int[] WEIGHTS = {40, 12, 6, 6, 36};
    static final String[] KINDS = {"respond", "modify", "worse", "categorize", "judge"};

    private Corpus() {}

    /** {@code n} conversations from {@code seed}, skipping every instruction in {@code exclude}. */
    public static List<Conversation> build(long seed, int n, Set<String> exclude) {
        SplittableRandom r = new SplittableRandom(seed);
        int total = 0;
        for (int w : WEIGHTS) total += w;
        List<Conversation> out = new ArrayList<>(n);
        while (out.size() < n) {
            int k = r.nextInt(total), kind = 0;
            while (k >= WEIGHTS[kind]) k -= WEIGHTS[kind++];
            Conversation c = switch (kind) {
                case 4 -> judge(World.sample(r), r, exclude);
                default -> single(kind, World.sample(r), r, exclude);
            };
            if (c != null) out.add(c);
        }
        return out;
    }

    private static Conversation single(int kind, Problem p, SplittableRandom r, Set<String> exclude) {
        String x = p.instruction();
        if (exclude.contains(x)) return null;
        return switch (kind) {
            case 0 -> conv("respond", x, p.response());
            case 1 -> {
                Problem s = p.similar(r);
                if (exclude.contains(s.instruction())) yield null;
                yield conv("modify", MicroPrompts.renderModified(x, p.response()), MicroPrompts.modifiedAnswer(s.instruction(), s.response()));
            }
            case 2 -> conv("worse", MicroPrompts.renderBad(x, p.response()), MicroPrompts.badAnswer(p.wrong(r)));
            case 3 -> conv("categorize", MicroPrompts.renderCategorize(x), "Category: " + p.family().topic().label());
            default -> throw new IllegalArgumentException("kind " + kind);
        };
    }

    /**
     * A judge-prompt conversation over a training-side pair: the correct answer against one made by
     * the training side's own generators (a {@link Problem#wrong} answer, a {@link Problem#similar}
     * instruction's answer, or the one refusal / compliance template), judged by the {@link WeakJudge}.
     * Never a benchmark generator: the benchmark's error types stay held out.
     */
    private static Conversation judge(Problem p, SplittableRandom r, Set<String> exclude) {
        if (exclude.contains(p.instruction())) return null;
        int k = r.nextInt(20);
        String rejected;
        if (k < 10) rejected = p.wrong(r);
        else if (k < 17) rejected = p.similar(r).response();
        else rejected = p.forbidden() ? ((HowTo.Prob) p).compliance() : HowTo.REFUSAL;
        if (Checker.isCorrect(p.instruction(), rejected)) return null;
        boolean chosenFirst = r.nextBoolean();
        String a = chosenFirst ? p.response() : rejected, b = chosenFirst ? rejected : p.response();
        List<ChatMessage> m = new ArrayList<>(MicroPrompts.renderJudge(p.instruction(), a, b));
        m.add(ChatMessage.assistant(WeakJudge.judgment(p, a, b, r)));
        return new Conversation("judge", m);
    }

    private static Conversation conv(String kind, String user, String assistant) {
        return new Conversation(kind, List.of(ChatMessage.user(user), ChatMessage.assistant(assistant)));
    }
}
