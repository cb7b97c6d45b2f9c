package dev.selftaught.eval;

import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.selftaught.eval.Verdict.A;
import static dev.selftaught.eval.Verdict.B;
import static dev.selftaught.eval.Verdict.NONE;
import static dev.selftaught.eval.Verdict.TIE;
import static org.junit.jupiter.api.Assertions.assertEquals;

class MajorityVoteTest {

    @Test
    void mostVotesWin() {
        var r = MajorityVote.of(List.of(A, B, A, NONE, A));
        assertEquals(A, r.verdict());
        assertEquals(3, r.counts().get(A));
        assertEquals(1, r.counts().get(B));
        assertEquals(1, r.counts().get(NONE));
        assertEquals(0, r.counts().get(TIE));
    }

    @Test
    void unparsedSamplesDoNotVote() {
        // Four unparsed samples do not outvote one B.
        assertEquals(B, MajorityVote.of(List.of(NONE, NONE, B, NONE, NONE)).verdict());
    }

    @Test
    void equalTopCountsGiveNoVerdict() {
        assertEquals(NONE, MajorityVote.of(List.of(A, B, A, B, NONE)).verdict());
        assertEquals(NONE, MajorityVote.of(List.of(A, TIE)).verdict());
        assertEquals(NONE, MajorityVote.of(List.of(NONE, NONE)).verdict());
        assertEquals(NONE, MajorityVote.of(List.of()).verdict());
    }

    @Test
    void tieVotesCanWinAndScoreHalf() {
        var r = MajorityVote.of(List.of(TIE, TIE, A));
        assertEquals(TIE, r.verdict());
        assertEquals(0.5, RewardBench.itemScore(r.verdict(), true));
    }

    @Test
    void singleSampleIsItsOwnVerdict() {
        assertEquals(B, MajorityVote.of(List.of(B)).verdict());
        assertEquals(NONE, MajorityVote.of(List.of(NONE)).verdict());
    }
}
