package dev.selftaught.eval;

import java.util.List;
import java.util.Map;

/**
 * The judge's answer for one item in one order: every sampled text, its parsed verdict, the vote
 * and the score.
 *
 * @param chosenAsA whether the chosen answer was shown as Assistant A
 * @param texts     raw judge outputs, in sample order
 * @param verdicts  parsed verdict of each text
 * @param verdict   the final verdict (the vote; the only verdict when there is one sample)
 * @param votes     vote counts by verdict
 * @param score     1 / 0 / 0.5 (see {@link RewardBench#itemScore})
 */
public record Judgment(boolean chosenAsA, List<String> texts, List<Verdict> verdicts, Verdict verdict,
                       Map<Verdict, Integer> votes, double score) {
    public Judgment {
        texts = List.copyOf(texts);
        verdicts = List.copyOf(verdicts);
        votes = Map.copyOf(votes);
    }

    /** Builds a judgment from raw texts: parse each, vote, score. */
    public static Judgment of(boolean chosenAsA, List<String> texts, VerdictParser parser) {
        List<Verdict> vs = texts.stream().map(parser::parse).toList();
        MajorityVote.Result vote = MajorityVote.of(vs);
        return new Judgment(chosenAsA, texts, vs, vote.verdict(), vote.counts(), RewardBench.itemScore(vote.verdict(), chosenAsA));
    }

    /** The verdict names the chosen answer. */
    public boolean correct() { return score == 1.0; }
}
