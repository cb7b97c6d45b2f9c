package dev.selftaught.data;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

class DidYouMeanTest {
    static final List<String> KEYS = List.of("samples", "temperature", "top_p", "max_tokens", "order", "seed", "lr", "epochs");

    @Test
    void distanceCountsEditsAndNeighbourSwapsAsOne() {
        assertEquals(0, DidYouMean.distance("samples", "samples"));
        assertEquals(1, DidYouMean.distance("sampels", "samples"), "swap");
        assertEquals(1, DidYouMean.distance("sample", "samples"), "insertion");
        assertEquals(1, DidYouMean.distance("samplez", "samples"), "substitution");
        assertEquals(2, DidYouMean.distance("smaplse", "samples"));
        assertEquals(3, DidYouMean.distance("", "abc"));
        assertEquals(6, DidYouMean.distance("order", "epochs"), "unrelated words are far apart");
    }

    @Test
    void suggestsOnlyWhatLooksLikeATypo() {
        assertEquals(Optional.of("samples"), DidYouMean.nearest("sampels", KEYS));
        assertEquals(Optional.of("temperature"), DidYouMean.nearest("temprature", KEYS));
        assertEquals(Optional.of("max_tokens"), DidYouMean.nearest("Max_Token", KEYS), "case is ignored");
        assertEquals(Optional.of("lr"), DidYouMean.nearest("lr_", KEYS));
        assertEquals(Optional.of("epochs"), DidYouMean.nearest("epoch", KEYS));
        assertEquals(Optional.empty(), DidYouMean.nearest("learning_rate", KEYS), "another word, not a typo");
        assertEquals(Optional.empty(), DidYouMean.nearest("colour", KEYS));
        assertEquals(Optional.empty(), DidYouMean.nearest("seed", KEYS), "an exact key needs no suggestion");
    }

    @Test
    void hintFallsBackToTheSortedKnownKeys() {
        assertEquals("; did you mean 'top_p'?", DidYouMean.hint("topp", KEYS));
        assertEquals("; known keys here: a, b", DidYouMean.hint("zzzzzz", List.of("b", "a")));
        assertEquals("", DidYouMean.hint("x", List.of()));
    }
}
