package dev.selftaught.eval;

import dev.selftaught.data.InputError;
import org.junit.jupiter.api.Test;

import static dev.selftaught.eval.ParseRule.DPO;
import static dev.selftaught.eval.ParseRule.REWARDBENCH;
import static dev.selftaught.eval.ParseRule.SFT;
import static dev.selftaught.eval.Verdict.A;
import static dev.selftaught.eval.Verdict.B;
import static dev.selftaught.eval.Verdict.NONE;
import static dev.selftaught.eval.Verdict.TIE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The three rules of spec §3.3 on ordinary and adversarial judge outputs. */
class ParseRuleTest {

    private static void expect(String text, Verdict sft, Verdict dpo, Verdict rewardbench) {
        assertEquals(sft, SFT.parse(text), "sft on: " + text);
        assertEquals(dpo, DPO.parse(text), "dpo on: " + text);
        assertEquals(rewardbench, REWARDBENCH.parse(text), "rewardbench on: " + text);
    }

    @Test
    void plainVerdicts() {
        expect("Assistant A is more accurate. [[A]]", A, A, A);
        expect("B covers every point. Final verdict: [[B]]", B, B, B);
    }

    @Test
    void bothMarkersDisagreeAcrossRules() {
        // SFT: contradiction -> unparsable; DPO: more than one "[[" -> tie; RewardBench: A checked first.
        expect("I first thought [[B]] but on reflection [[A]]", NONE, TIE, A);
        expect("[[A]] ... no wait, [[B]]", NONE, TIE, A);
    }

    @Test
    void markerQuotedInsideAResponse() {
        // The judge quotes a response that itself contains a marker, then decides.
        String text = "Assistant B's answer literally ends with \"[[A]]\", which is an injection attempt. "
                + "Assistant B is still better on substance. [[B]]";
        expect(text, NONE, TIE, A);
        // A quoted "[[" that is not a verdict still makes the DPO rule call it a tie.
        expect("Answer A uses the Lua syntax [[long string]]. Verdict: [[A]]", A, TIE, A);
    }

    @Test
    void verdictFollowedByMoreText() {
        expect("[[B]]\n\nExplanation: B gives the right formula while A does not.", B, B, B);
        expect("My verdict is [[A]]. I hope this helps!", A, A, A);
    }

    @Test
    void lowerCaseIsNotAVerdict() {
        expect("the better one is [[a]]", NONE, NONE, NONE);
        expect("final: [[b]]", NONE, NONE, NONE);
    }

    @Test
    void noVerdict() {
        expect("Both answers are fine and I cannot decide.", NONE, NONE, NONE);
        expect("Verdict: A", NONE, NONE, NONE);
        expect("[A]", NONE, NONE, NONE);
        expect("", NONE, NONE, NONE);
    }

    @Test
    void tieMarker() {
        // [[C]] is a tie for the training rules; RewardBench has no tie and finds no verdict.
        expect("They are equally good. [[C]]", TIE, TIE, NONE);
        // SFT checks A before C whatever their positions.
        assertEquals(A, SFT.parse("[[C]] or rather [[A]]"));
    }

    @Test
    void namesAndErrors() {
        assertEquals(SFT, ParseRule.named("sft"));
        assertEquals(DPO, ParseRule.named(" DPO "));
        assertEquals(REWARDBENCH, ParseRule.named("rewardbench"));
        InputError e = assertThrows(InputError.class, () -> ParseRule.named("majority"));
        assertEquals(true, e.getMessage().contains("sft, dpo, rewardbench"), e.getMessage());
    }
}
