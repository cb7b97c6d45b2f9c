package dev.selftaught.microworld;

import dev.selftaught.pipeline.Records;

import java.util.List;

/**
 * How much signal a set of synthetic pairs carries, by the checker: how often the generator's
 * answer y_w is correct, how often y_l answers the modified instruction x' correctly, and how
 * many pairs the checker can order (exactly one response correct) in agreement with construction.
 */
public record PairAudit(int pairs, int chosenCorrect, int rejectedWrong, int modifiedValid, int rejectedCorrectForModified,
                        int agree, int disagree) {

    public static PairAudit of(List<Records.Pair> ps) {
        int n = 0, w = 0, lw = 0, xv = 0, lx = 0, agree = 0, disagree = 0;
        for (Records.Pair p : ps) {
            n++;
            boolean cw = Checker.isCorrect(p.instruction(), p.chosen()), cl = Checker.isCorrect(p.instruction(), p.rejected());
            if (cw) w++;
            if (!cl) lw++;
            String xp = p.modifiedInstruction();
            if (xp != null && Checker.parse(xp).isPresent()) {
                xv++;
                if (Checker.isCorrect(xp, p.rejected())) lx++;
            }
            if (cw && !cl) agree++;
            if (!cw && cl) disagree++;
        }
        return new PairAudit(n, w, lw, xv, lx, agree, disagree);
    }

    public int unordered() { return pairs - agree - disagree; }

    public String describe() {
        return String.format("%d pairs: y_w correct %d (%.0f%%); y_l wrong for x %d; x' a world instruction %d, y_l correct for x' %d;"
                        + " checker agrees with the constructed label %d, disagrees %d, cannot order %d",
                pairs, chosenCorrect, pairs == 0 ? 0.0 : 100.0 * chosenCorrect / pairs, rejectedWrong, modifiedValid,
                rejectedCorrectForModified, agree, disagree, unordered());
    }
}
