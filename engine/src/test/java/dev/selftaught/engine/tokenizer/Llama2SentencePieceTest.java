package dev.selftaught.engine.tokenizer;

import dev.selftaught.engine.format.hf.SentencePieceModelFile;
import dev.selftaught.engine.llama2c.Llama2cTokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Meta's Llama-2 {@code tokenizer.model} (parsed by hand from its protobuf) against encodings
 * worked out from the SentencePiece BPE algorithm: normalise to "▁" + text with spaces as "▁",
 * split into characters, repeatedly merge the adjacent pair whose concatenation is a piece with
 * the highest score, and spell leftover characters as {@code <0xXX>} byte pieces. Each case lists
 * the merges in the order they happen, with the merged piece's score (scores looked up in the
 * model's piece table; Llama-2 scores are minus the piece's rank).
 */
class Llama2SentencePieceTest {
    static SentencePieceTokenizer sp;

    @BeforeAll
    static void load() throws Exception {
        sp = SentencePieceModelFile.read(dir().resolve("tokenizer.model"));
    }

    static Path dir() { return Path.of(System.getProperty("shared.data", "../shared/data"), "llama2_tokenizer"); }

    @Test
    void vocabularyShape() {
        assertEquals(32000, sp.vocabSize());
        assertEquals(1, sp.bos());
        assertEquals(2, sp.eos());
        assertEquals("<unk>", sp.piece(0));
        assertEquals("<0x0A>", sp.piece(13));   // byte pieces follow the 3 control pieces: 3 + 0x0A
        assertEquals("\u2581Hello", sp.piece(15043));
    }

    @Test
    void asciiWords() {
        // "▁Hello▁world": o+r(-13) ▁+w(-22) e+l(-36) ▁+H(-120) l+o(-158) l+d(-171) or+ld(-1354)
        // el+lo(-2897) ▁w+orld(-2927) ▁H+ello(-14784) -> ▁Hello=15043 ▁world=3186; "▁Hello▁world" is no piece.
        check("Hello world", 15043, 3186);
        // with BOS first
        assertArrayEquals(new int[] {1, 15043, 3186}, sp.encode("Hello world", true));
    }

    @Test
    void accents() {
        // "▁café": ▁+c(-15) a+f(-1883) af+é(-27800); "▁caf" and "▁café" are not pieces -> ▁c=274 afé=28059
        check("café", 274, 28059);
        // "▁naïve▁résumé": ▁+n(-43) v+e(-86) ▁+r(-105) u+m(-139) é+s(-484) ▁n+a(-796) ▁r+és(-6637)
        // -> ▁na=1055 ï=30085 ve=345 ▁rés=6896 um=398 é=29948
        check("naïve résumé", 1055, 30085, 345, 6896, 398, 29948);
    }

    @Test
    void cjkCharactersArePiecesButNotWithTheSpaceMarker() {
        // "▁日本語": no pair is a piece ("▁日", "日本", "本語" absent): ▁=29871 日=30325 本=30346 語=30968
        check("日本語", 29871, 30325, 30346, 30968);
    }

    @Test
    void emojiFallsBackToUtf8Bytes() {
        // "▁🦙": 🦙 (U+1F999) is no piece and nothing merges; its UTF-8 bytes F0 9F A6 99 become byte
        // pieces, id = 3 + byte value: 243 162 169 156
        check("🦙", 29871, 243, 162, 169, 156);
    }

    @Test
    void whitespaceRuns() {
        // "▁a▁▁b": ▁+a(-4) ▁+b(-30); "▁a▁" and "▁▁b" are not pieces -> ▁a=263 ▁=29871 ▁b=289
        check("a  b", 263, 29871, 289);
        // "▁▁▁lead": l+e(-21) a+d(-69) ▁+le(-195) ▁le+ad(-3016), then ▁+▁ (score -1e9, last) -> ▁▁=259 ▁lead=3275
        check("  lead", 259, 3275);
        // "▁x\n\ny": only ▁+x(-662) merges; "\n" is no piece -> byte 0x0A = id 13, twice
        check("x\n\ny", 921, 13, 13, 29891);
    }

    @Test
    void digitsAreSingleTokens() {
        // Llama-2 has no multi-digit pieces and no "▁1": ▁=29871 1=29896 2=29906 3=29941 4=29946
        check("1234", 29871, 29896, 29906, 29941, 29946);
        // "▁2024:▁10▁%": only ▁+%(-1014) merges
        check("2024: 10 %", 29871, 29906, 29900, 29906, 29946, 29901, 29871, 29896, 29900, 1273);
    }

    @Test
    void controlTokensInTemplateTextMapToTheirIds() {
        // A Llama-2 chat prompt as its template renders it: "<s>" and "</s>" are BOS/EOS, the text
        // between them is encoded as usual (each part with the "▁" dummy prefix).
        String prompt = "<s>[INST] hi [/INST] ok </s><s>[INST] again [/INST]";
        java.util.List<Integer> expected = new java.util.ArrayList<>();
        expected.add(1);
        for (int id : sp.encode("[INST] hi [/INST] ok ", false)) expected.add(id);
        expected.add(2);
        expected.add(1);
        for (int id : sp.encode("[INST] again [/INST]", false)) expected.add(id);
        assertArrayEquals(expected.stream().mapToInt(Integer::intValue).toArray(), sp.encodeWithSpecials(prompt, false));
        // Plain encode keeps them as text: no id 1 or 2 appears.
        assertTrue(java.util.Arrays.stream(sp.encode(prompt, false)).noneMatch(id -> id == 1 || id == 2));
    }

    @Test
    void emptyTextIsOnlyBos() {
        assertArrayEquals(new int[0], sp.encode("", false));
        assertArrayEquals(new int[] {1}, sp.encode("", true));
    }

    @Test
    void decodeRoundTripsAnyText() {
        String[] texts = {"Hello world", "  two leading spaces", "trailing  ", "tab\there", "mixed 日本語 and émojis 🦙🎉👩‍👩‍👧",
                "\n\nnewlines\r\n", "math: ∑ x² ≤ ∞", "ascii ~!@#$%^&*()_+{}|:\"<>?", "Ελληνικά кириллица עברית العربية"};
        for (String t : texts) {
            assertEquals(t, sp.decode(sp.encode(t, false)), t);
            assertEquals(t, sp.decode(sp.encode(t, true)), "with BOS: " + t);
        }
    }

    @Test
    void invalidUtf8DecodesToReplacementCharacter() {
        // F0 9F is the start of a 4-byte sequence cut short; a lone A6 continuation byte is invalid.
        assertEquals("\uFFFD", sp.decode(new int[] {243, 162}));
        assertEquals("a\uFFFDb", sp.decode(new int[] {29874, 169, 29890}));
    }

    @Test
    void agreesWithTheLlama2cExportOfTheSameVocabulary() throws Exception {
        // tokenizer.bin is llama2.c's export of the same model, read by the engine's llama2.c
        // tokenizer (a separate implementation of the same algorithm).
        Llama2cTokenizer l2c = Llama2cTokenizer.read(dir().resolve("tokenizer.bin"));
        String[] texts = {"Hello world", "café naïve", "日本語", "🦙 llama", "a  b   c", "1234 + 5678 = 6912", "x\n\ny", "It's a dog's life."};
        for (String t : texts) assertArrayEquals(l2c.encode(t, true), sp.encode(t, true), t);
    }

    private static void check(String text, int... expected) {
        assertArrayEquals(expected, sp.encode(text, false), text);
        assertEquals(text, sp.decode(expected));
    }
}
