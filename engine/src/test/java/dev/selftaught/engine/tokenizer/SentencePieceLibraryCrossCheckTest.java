package dev.selftaught.engine.tokenizer;

import dev.selftaught.engine.format.hf.SentencePieceModelFile;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Optional independent oracle: Google's SentencePiece library (Debian's python3-sentencepiece, run
 * through tools/sentencepiece_encode.py) encodes the same strings with the Llama-2 model. Skipped
 * where that package is not installed (CI does not need it).
 */
class SentencePieceLibraryCrossCheckTest {
    static final List<String> TEXTS = List.of("Hello world", "café naïve résumé", "日本語のテキストです。", "🦙🎉 emoji 👩‍👩‍👧 family",
            "a  b   c    d", "   leading and trailing   ", "1234567890 3.14159 -42", "tab\tseparated\tvalues",
            "It's a dog's life, isn't it? \"Quoted\" text.", "Ελληνικά кириллица עברית العربية हिन्दी", "math: ∑ x² ≤ ∞ ≠ ∂",
            "<s> literal control text </s>", "<0x41> literal byte piece text", "x\n\ny", "\n", " ", "  ",
            "supercalifragilisticexpialidocious antidisestablishmentarianism", "http://example.com/path?query=1&b=2#frag");

    @Test
    void encodingsMatchTheSentencePieceLibrary() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        Path script = Path.of(System.getProperty("user.dir")).resolve("../tools/sentencepiece_encode.py").normalize();
        Assumptions.assumeTrue(Files.isExecutable(python) && Files.isRegularFile(script), "no /usr/bin/python3 or script");
        Process probe = new ProcessBuilder(python.toString(), "-c", "import sentencepiece").redirectErrorStream(true).start();
        Assumptions.assumeTrue(probe.waitFor(30, TimeUnit.SECONDS) && probe.exitValue() == 0, "python3-sentencepiece not installed");

        Path model = Llama2SentencePieceTest.dir().resolve("tokenizer.model");
        Process p = new ProcessBuilder(python.toString(), script.toString(), model.toString()).start();
        ObjectMapper json = new ObjectMapper();
        try (var in = p.getOutputStream()) {
            in.write(json.writeValueAsString(TEXTS).getBytes(StandardCharsets.UTF_8));
        }
        int[][] expected = json.readValue(p.getInputStream(), int[][].class);
        assertEquals(0, p.waitFor());
        SentencePieceTokenizer sp = SentencePieceModelFile.read(model);
        for (int i = 0; i < TEXTS.size(); i++) assertArrayEquals(expected[i], sp.encode(TEXTS.get(i), false), TEXTS.get(i));
    }
}
