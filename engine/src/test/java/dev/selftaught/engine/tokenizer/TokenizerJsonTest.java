package dev.selftaught.engine.tokenizer;

import dev.selftaught.engine.format.hf.SentencePieceModelFile;
import dev.selftaught.engine.format.hf.TokenizerJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Byte-level BPE built here, written as tokenizer.json and read back; SentencePiece vocabularies through tokenizer.json. */
public class TokenizerJsonTest {
    @TempDir Path tmp;

    /**
     * A Llama-3-style vocabulary: ids 0..255 are the 256 byte symbols (GPT-2 map), then merges
     * "Ġ t" "h e" "Ġt he" "l l" "ll o" "Ġ w", then specials.
     */
    public static Vocabulary byteLevel() {
        List<String> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) tokens.add(ByteUnicode.encode(new byte[] {(byte) b}));
        List<String> merges = List.of("Ġ t", "h e", "Ġt he", "l l", "ll o", "Ġ w");
        for (String m : merges) tokens.add(m.replace(" ", ""));            // 256 Ġt, 257 he, 258 Ġthe, 259 ll, 260 llo, 261 Ġw
        tokens.add("<|begin_of_text|>");                                   // 262
        tokens.add("<|eot_id|>");                                          // 263
        tokens.add("<|end_of_text|>");                                     // 264
        int n = tokens.size();
        int[] types = new int[n];
        java.util.Arrays.fill(types, TokenType.NORMAL);
        types[262] = types[263] = types[264] = TokenType.CONTROL;
        return new Vocabulary(Vocabulary.Kind.BYTE_LEVEL_BPE, tokens, null, types, merges, 262, 264, -1, -1,
                PreTokenizers.LLAMA3, true, false, new int[] {263});
    }

    @Test
    void byteMapIsGpt2s() {
        assertEquals("Ġ", ByteUnicode.encode(new byte[] {' '}));
        assertEquals("Ċ", ByteUnicode.encode(new byte[] {'\n'}));
        assertEquals("A", ByteUnicode.encode(new byte[] {'A'}));
        assertEquals(String.valueOf((char) 0x100), ByteUnicode.encode(new byte[] {0}));   // first unprintable byte -> U+0100
    }

    @Test
    void handBuiltByteLevelBpeEncodes() {
        ByteLevelBpeTokenizer t = new ByteLevelBpeTokenizer(byteLevel());
        // "hello the world": pre-tokens "hello", " the", " world".
        // "hello": h e l l o -> h+e(rank 1) -> he, l+l(3) -> ll, ll+o(4) -> llo => [he, llo] = [257, 260]
        // " the": Ġ t h e -> Ġ+t(0), h+e(1), Ġt+he(2) => [Ġthe] = [258]
        // " world": Ġ+w(5) => Ġw, then o r l d stay bytes => [261, 'o'=111, 'r'=114, 'l'=108, 'd'=100]
        assertArrayEquals(new int[] {262, 257, 260, 258, 261, 111, 114, 108, 100}, t.encode("hello the world", true));
        assertEquals("hello the world", t.decode(t.encode("hello the world", true)).replace("<|begin_of_text|>", ""));
        // Specials: plain encode treats "<|eot_id|>" as text, encodeWithSpecials maps it to its id.
        int[] plain = t.encode("hi<|eot_id|>", false);
        assertTrue(plain.length > 3);
        assertArrayEquals(new int[] {'h', 'i', 263}, t.encodeWithSpecials("hi<|eot_id|>", false));
        assertEquals("hi<|eot_id|>", t.decode(t.encodeWithSpecials("hi<|eot_id|>", false)));
        assertArrayEquals(new int[] {264, 263}, t.stopIds());
    }

    @Test
    void llama3PatternSplitsLikeThePublishedRegex() {
        Pattern p = Pattern.compile(PreTokenizers.LLAMA3, Pattern.UNICODE_CHARACTER_CLASS);
        // Hand-split: letters with one optional leading non-letter, digits by 3, punctuation runs
        // keeping following newlines, whitespace before a word left for the word.
        assertEquals(List.of("Hello", "123", "456", " world", "!!\n\n", "I", "'M", " ok", "  ", " x"),
                split(p, "Hello123456 world!!\n\nI'M ok   x"));
        Pattern q = Pattern.compile(PreTokenizers.QWEN2, Pattern.UNICODE_CHARACTER_CLASS);
        assertEquals(List.of("abc", "1", "2", "3", " 日本"), split(q, "abc123 日本"));
        Pattern g = Pattern.compile(PreTokenizers.GPT2, Pattern.UNICODE_CHARACTER_CLASS);
        // GPT-2: "\\s+(?!\\S)" leaves the last newline before "I" to its own "\\s+" match.
        assertEquals(List.of("Hello", "123456", " world", "!!", "\n", "\n", "I", "'", "M"), split(g, "Hello123456 world!!\n\nI'M"));
    }

    private static List<String> split(Pattern p, String s) {
        List<String> out = new ArrayList<>();
        Matcher m = p.matcher(s);
        while (m.find()) out.add(m.group());
        return out;
    }

    @Test
    void byteLevelTokenizerJsonRoundTrips() throws Exception {
        Vocabulary v = byteLevel();
        Path dir = tmp;
        Files.writeString(dir.resolve("tokenizer.json"), TokenizerJson.write(v));
        Files.writeString(dir.resolve("tokenizer_config.json"), TokenizerJson.writeConfig(v, "{{ bos_token }}", 128));
        TokenizerJson.Loaded back = TokenizerJson.read(dir.resolve("tokenizer.json"), dir.resolve("tokenizer_config.json"), new int[] {263});
        Tokenizer a = new ByteLevelBpeTokenizer(v), b = back.tokenizer();
        assertEquals("{{ bos_token }}", back.chatTemplate());
        assertEquals(v.tokens(), back.vocabulary().tokens());
        assertEquals(v.merges(), back.vocabulary().merges());
        assertEquals(262, b.bos());
        assertEquals(264, b.eos());
        assertArrayEquals(new int[] {264, 263}, b.stopIds());
        for (String s : new String[] {"hello the world", "  x\n\ny", "émoji 🦙 日本語", "<|eot_id|> the", "\u0000\u00ff"}) {
            assertArrayEquals(a.encode(s, true), b.encode(s, true), s);
            assertArrayEquals(a.encodeWithSpecials(s, false), b.encodeWithSpecials(s, false), s);
            assertEquals(s, b.decode(b.encode(s, false)), s);
        }
        // Invalid UTF-8 from byte tokens decodes to U+FFFD.
        assertEquals("\uFFFD", b.decode(new int[] {0xF0, 0x9F}));
    }

    @Test
    void sentencePieceVocabularyRoundTripsThroughTokenizerJson() throws Exception {
        SentencePieceTokenizer sp = SentencePieceModelFile.read(Llama2SentencePieceTest.dir().resolve("tokenizer.model"));
        Vocabulary v = sp.vocabulary().orElseThrow();
        Files.writeString(tmp.resolve("tokenizer.json"), TokenizerJson.write(v));
        Files.writeString(tmp.resolve("tokenizer_config.json"), TokenizerJson.writeConfig(v, null, 4096));
        TokenizerJson.Loaded back = TokenizerJson.read(tmp.resolve("tokenizer.json"), tmp.resolve("tokenizer_config.json"), new int[0]);
        Tokenizer b = back.tokenizer();
        assertEquals(32000, b.vocabSize());
        assertEquals(1, b.bos());
        assertEquals(2, b.eos());
        // Merges rebuilt from the scores reproduce SentencePiece's segmentation.
        for (String s : new String[] {"Hello world", "café naïve résumé", "日本語", "🦙", "a  b", "1234", "x\n\ny", "  lead",
                "The quick brown fox jumps over the lazy dog; it's 42°C."}) {
            assertArrayEquals(sp.encode(s, true), b.encode(s, true), s);
            assertEquals(s, b.decode(b.encode(s, true)));
        }
    }
}
