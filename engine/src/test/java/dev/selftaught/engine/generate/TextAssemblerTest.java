package dev.selftaught.engine.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.selftaught.engine.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Stop strings and streaming, token by token: a stop string that spans tokens, text held back
 * while it could still be a stop string's start, the earliest of several stops, UTF-8 sequences
 * split across tokens, and what {@code finish} flushes. Over a small table vocabulary in which
 * each token id stands for a given byte string.
 */
class TextAssemblerTest {

    /** Token i is the i-th byte string; ids are looked up with {@link #id}. */
    static final class TableTokenizer implements Tokenizer {
        final List<byte[]> pieces = new ArrayList<>();
        final List<String> seen = new ArrayList<>();

        int id(String piece) { return id(piece.getBytes(StandardCharsets.UTF_8)); }

        int id(byte[] b) {
            for (int i = 0; i < pieces.size(); i++) if (java.util.Arrays.equals(pieces.get(i), b)) return i;
            pieces.add(b);
            return pieces.size() - 1;
        }

        @Override public byte[] streamBytes(int previousId, int id) {
            seen.add(previousId + ">" + id);
            return tokenBytes(id);
        }

        @Override public byte[] tokenBytes(int id) { return pieces.get(id); }
        @Override public int[] encode(String text, boolean addBos) { throw new UnsupportedOperationException(); }
        @Override public String decode(int[] ids) { throw new UnsupportedOperationException(); }
        @Override public int vocabSize() { return pieces.size(); }
        @Override public int bos() { return -1; }
        @Override public int eos() { return -1; }
    }

    final TableTokenizer tok = new TableTokenizer();
    final List<String> deltas = new ArrayList<>();

    TextAssembler assembler(String... stops) {
        return new TextAssembler(tok, 7, List.of(stops), deltas::add);
    }

    /** Feeds the pieces; returns the index of the piece that hit a stop, or -1. */
    int feed(TextAssembler a, String... pieces) {
        for (int i = 0; i < pieces.length; i++) if (a.accept(tok.id(pieces[i]))) return i;
        return -1;
    }

    @Test
    void withoutStopsEveryPieceIsStreamedAsItComes() {
        TextAssembler a = assembler();
        assertEquals(-1, feed(a, "Once", " upon", " a time"));
        assertEquals(List.of("Once", " upon", " a time"), deltas);
        a.finish();
        assertEquals("Once upon a time", a.text());
        assertEquals(List.of("Once", " upon", " a time"), deltas, "finish adds nothing");
    }

    @Test
    void eachTokenIsDecodedAfterThePreviousOneStartingFromTheLastPromptToken() {
        TextAssembler a = assembler();
        int x = tok.id("x"), y = tok.id("y");
        a.accept(x);
        a.accept(y);
        assertEquals(List.of("7>" + x, x + ">" + y), tok.seen);
    }

    @Test
    void aStopStringSpanningTokensCutsTheTextAndNothingOfItIsStreamed() {
        TextAssembler a = assembler("END");
        assertEquals(3, feed(a, "one ", "two E", "N", "D three", "four"));
        assertEquals("one two ", a.text());
        assertEquals("one two ", String.join("", deltas));
        // "one " is streamed at once, "two " while "E" is held back; nothing of the stop or after it.
        assertEquals(List.of("one ", "two "), deltas);
    }

    @Test
    void textThatMightStartAStopIsHeldBackUntilItCannot() {
        TextAssembler a = assembler("STOP");
        assertFalse(a.accept(tok.id("go S")));
        assertEquals(List.of("go "), deltas, "'S' could start STOP");
        assertFalse(a.accept(tok.id("T")));
        assertEquals(List.of("go "), deltas, "'ST' could too");
        assertFalse(a.accept(tok.id("x")));
        assertEquals(List.of("go ", "STx"), deltas, "'STx' cannot: released");
        assertFalse(a.accept(tok.id("STO")));
        assertEquals(List.of("go ", "STx"), deltas);
        a.finish();
        assertEquals("go STxSTO", a.text());
        assertEquals(List.of("go ", "STx", "STO"), deltas, "the end of the text releases what was held back");
    }

    @Test
    void theLongestPossibleStopPrefixIsHeldBackAcrossSeveralStops() {
        TextAssembler a = assembler("abc", "bcd");
        // "xab": "ab" may start "abc", "b" may start "bcd": the longer hold wins.
        assertFalse(a.accept(tok.id("xab")));
        assertEquals(List.of("x"), deltas);
        assertTrue(a.accept(tok.id("cd")));
        assertEquals("x", a.text(), "abc starts before bcd: the earliest stop cuts");
    }

    @Test
    void theEarliestOfSeveralStopsInOnePieceCuts() {
        TextAssembler a = assembler("zz", "yy");
        assertTrue(a.accept(tok.id("ab yy cd zz")));
        assertEquals("ab ", a.text());
        assertEquals(List.of("ab "), deltas);
        TextAssembler b = assembler("yy", "zz");
        assertTrue(b.accept(tok.id("ab zz cd yy")));
        assertEquals("ab ", b.text(), "order of the stop list does not matter");
    }

    @Test
    void aStopAtTheVeryStartGivesEmptyText() {
        TextAssembler a = assembler("\n\n");
        assertTrue(a.accept(tok.id("\n\nrest")));
        assertEquals("", a.text());
        assertEquals(List.of(), deltas);
    }

    @Test
    void afterAStopFinishChangesNothing() {
        TextAssembler a = assembler("!");
        assertTrue(a.accept(tok.id("hi!")));
        a.finish();
        assertEquals("hi", a.text());
        assertEquals(List.of("hi"), deltas);
    }

    @Test
    void aStopLongerThanTheTextSoFarIsHeldWhole() {
        TextAssembler a = assembler("<|end|>");
        assertFalse(a.accept(tok.id("<|e")));
        assertEquals(List.of(), deltas);
        assertFalse(a.accept(tok.id("nd")));
        assertTrue(a.accept(tok.id("|>")));
        assertEquals("", a.text());
        assertEquals(List.of(), deltas);
    }

    @Test
    void aStopStartingInHeldBackTextCutsThere() {
        // Of "ab", "a" is streamed and "b" held back (it may start "b!"); the "!" completes the stop.
        TextAssembler a = assembler("b!");
        assertFalse(a.accept(tok.id("ab")));
        assertEquals(List.of("a"), deltas);
        assertTrue(a.accept(tok.id("!")));
        assertEquals("a", a.text());
    }

    @Test
    void utf8SequencesSplitAcrossTokensAreJoined() {
        byte[] e = "é".getBytes(StandardCharsets.UTF_8);           // C3 A9
        byte[] smile = "😀".getBytes(StandardCharsets.UTF_8);      // F0 9F 98 80
        TextAssembler a = assembler();
        a.accept(tok.id(new byte[] {'c', 'a', 'f', e[0]}));
        assertEquals(List.of("caf"), deltas, "a lone lead byte waits for its continuation");
        a.accept(tok.id(new byte[] {e[1]}));
        a.accept(tok.id(new byte[] {smile[0], smile[1]}));
        a.accept(tok.id(new byte[] {smile[2]}));
        a.accept(tok.id(new byte[] {smile[3], '!'}));
        a.finish();
        assertEquals("café😀!", a.text());
        assertEquals("café😀!", String.join("", deltas));
    }

    @Test
    void undecodableTrailingBytesBecomeAReplacementCharacterAtTheEnd() {
        TextAssembler a = assembler();
        a.accept(tok.id(new byte[] {'o', 'k', (byte) 0xE2, (byte) 0x82}));
        assertEquals("ok", a.text());
        a.finish();
        assertEquals("ok\uFFFD", a.text());
        assertEquals(List.of("ok", "\uFFFD"), deltas);
    }

    @Test
    void aStopStringIsFoundAcrossASplitMultiByteCharacter() {
        byte[] e = "é".getBytes(StandardCharsets.UTF_8);
        TextAssembler a = assembler("é.");
        assertFalse(a.accept(tok.id(new byte[] {'x', e[0]})));
        assertFalse(a.accept(tok.id(new byte[] {e[1]})));
        assertTrue(a.accept(tok.id(".")));
        assertEquals("x", a.text());
        assertEquals(List.of("x"), deltas);
    }

    @Test
    void longPiecesGrowTheBuffers() {
        String big = "w".repeat(1000);
        TextAssembler a = assembler("STOP");
        assertFalse(a.accept(tok.id(big)));
        assertFalse(a.accept(tok.id(big + "é")));
        assertTrue(a.accept(tok.id("xSTOP")));
        assertEquals(big + big + "éx", a.text());
        assertEquals(a.text(), String.join("", deltas));
    }

    @Test
    void withoutATokenizerNothingIsDecoded() {
        TextAssembler a = new TextAssembler(null, 1, List.of("x"), deltas::add);
        assertFalse(a.accept(5));
        a.finish();
        assertEquals("", a.text());
        assertEquals(List.of(), deltas);
    }

    @Test
    void withoutAListenerTheTextIsStillBuilt() {
        TextAssembler a = new TextAssembler(tok, 1, List.of("!"), null);
        assertFalse(a.accept(tok.id("hey")));
        assertTrue(a.accept(tok.id("!!")));
        assertEquals("hey", a.text());
    }
}
