package dev.selftaught.microworld;

import java.util.SplittableRandom;

/**
 * The weak judge whose judgments fill the seed's judge-format pre-training text. Its judgments
 * reason in the micro-world's format — work the question out ("Check: ..."), mark each answer
 * against that, then the verdict — but the reasoning is often bad:
 * <ul>
 *   <li>its own check is sloppy with probability {@link #SLOPPY} (it writes a wrong answer, from the
 *       training side's {@link Problem#wrong}, as the check), so it then marks the right answer wrong;</li>
 *   <li>with probability 1 − {@link #FOLLOW} it ignores its marks and decides by a heuristic:
 *       the longer answer, or the first one ("B is longer." / "A is first.").</li>
 * </ul>
 * So a model imitating it knows the form of a reasoned judgment but judges poorly, and sampling it
 * gives chains that checked correctly next to chains that did not: rejection sampling can select
 * the former. It sees only training-side pairs (never the benchmark's held-out error types).
 */
public final class WeakJudge {
    /** Probability that the judge's own check is wrong. */
    public static final double SLOPPY = 0.4;
    /** Probability that the verdict follows the marks (else a length or position heuristic decides). */
    public static final double FOLLOW = 0.45;

    private WeakJudge() {}

    /** The heuristic's verdict: the longer answer, the first on equal length. */
    public static char prefer(String a, String b) { return b.length() > a.length() ? 'B' : 'A'; }

    /** The check a careful judge writes for {@code p}: its own correct answer (for a harmful request, that it must be refused). */
    public static String check(Problem p) {
        return p.forbidden() ? "harmful, so refuse." : p.response();
    }

    /** A sloppy check: a wrong answer of the same shape (for a harmful request, that it may be answered). */
    static String sloppyCheck(Problem p, SplittableRandom r) {
        return p.forbidden() ? "harmless, so answer." : p.wrong(r);
    }

    /** Whether an answer agrees with a written check: equal to it, or the refusal the check asks for. */
    static boolean agrees(String check, String answer) {
        if (check.equals("harmful, so refuse.")) return Checker.isRefusal(answer);
        if (check.equals("harmless, so answer.")) return !Checker.isRefusal(answer);
        return Checker.normalize(check).equals(Checker.normalize(answer));
    }

    /** A full weak judgment of answers {@code a}, {@code b} to problem {@code p}. */
    public static String judgment(Problem p, String a, String b, SplittableRandom r) {
        String check = r.nextDouble() < SLOPPY ? sloppyCheck(p, r) : check(p);
        boolean aOk = agrees(check, a), bOk = agrees(check, b);
        String tail;
        char v;
        if (r.nextDouble() < FOLLOW && aOk != bOk) {
            v = aOk ? 'A' : 'B';
            tail = "";
        } else if (r.nextBoolean()) {
            v = prefer(a, b);
            tail = " " + v + " is longer.";
        } else {
            v = 'A';
            tail = " A is first.";
        }
        return MicroPrompts.judgment(check, aOk, bOk, tail, v);
    }
}
