package dev.selftaught.microworld;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class EqualRowsTest {

    private static List<String> rows(int a, int b) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < a; i++) out.add("{\"i\":" + i + ",\"t\":\"Check: x. A: right. B: wrong. [[A]]\"}");
        for (int i = 0; i < b; i++) out.add("{\"i\":" + (a + i) + ",\"t\":\"Check: x. A: wrong. B: right. [[B]]\"}");
        return out;
    }

    @Test
    void subsampleKeepsTheVerdictBalanceOrderAndIsSeeded() {
        List<String> all = rows(60, 60);
        List<String> s = EqualRows.subsample(all, 40, 17);
        assertEquals(40, s.size());
        assertEquals(20, s.stream().filter(r -> r.endsWith("[[A]]\"}")).count(), "half of each verdict");
        assertEquals(40, new HashSet<>(s).size(), "no row twice");
        assertTrue(all.containsAll(s));
        // rows keep their original order
        List<Integer> idx = s.stream().map(all::indexOf).toList();
        assertEquals(idx.stream().sorted().toList(), idx);
        assertEquals(s, EqualRows.subsample(all, 40, 17), "deterministic in the seed");
        assertNotEquals(s, EqualRows.subsample(all, 40, 18));
    }

    @Test
    void unbalancedInputTakesWhatTheSmallerVerdictHasThenTheRest() {
        List<String> s = EqualRows.subsample(rows(50, 5), 20, 1);
        assertEquals(20, s.size());
        assertEquals(5, s.stream().filter(r -> r.endsWith("[[B]]\"}")).count());
        assertEquals(10, EqualRows.subsample(rows(4, 6), 10, 1).size(), "asking for everything returns everything");
    }
}
