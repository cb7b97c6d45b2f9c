package dev.selftaught.microworld;

import dev.selftaught.engine.llama2c.Llama2cTokenizer;
import dev.selftaught.data.ChatMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class BpeTrainerTest {

    private static List<String> sample(long seed, int n) {
        return Corpus.build(seed, n, Set.of()).stream()
                .map(c -> String.join("\n", c.messages().stream().map(ChatMessage::content).toList())).toList();
    }

    @Test
    void roundTripsCompressesAndKeepsDigitsApart(@TempDir Path dir) throws Exception {
        Llama2cTokenizer tok = BpeTrainer.train(sample(1, 600), 512);
        assertEquals(512, tok.vocabSize());
        assertEquals(tok.vocabSize(), BpeTrainer.train(sample(1, 600), 512).vocabSize());
        // deterministic: same pieces in the same order
        Llama2cTokenizer again = BpeTrainer.train(sample(1, 600), 512);
        for (int i = 0; i < tok.vocabSize(); i++) assertEquals(tok.piece(i), again.piece(i));

        // the engine reads back what we write
        Path f = dir.resolve("tok512.bin");
        tok.write(f);
        Llama2cTokenizer read = Llama2cTokenizer.read(f);

        int chars = 0, tokens = 0;
        for (String doc : sample(99, 200)) {
            int[] ids = read.encode(doc, true);
            assertEquals(doc, read.decode(ids), "round trip");
            chars += doc.length();
            tokens += ids.length;
            for (int id : ids) {
                String p = read.piece(id);
                if (p.chars().anyMatch(Character::isDigit)) assertEquals(1, p.strip().length(), "digit piece " + p);
            }
        }
        double ratio = (double) chars / tokens;
        assertTrue(ratio > 3.0, "compression " + ratio + " chars per token");
        // fixed markers of the prompts shrink to a few tokens: the judge prompt's (in 36% of the
        // conversations, twice each) to a handful, the rarer pair-maker answer marker (12%) to a few more
        int judgeMarker = read.encode("[The Start of Assistant A's Answer]", false).length;
        assertTrue(judgeMarker <= 8, "judge marker takes " + judgeMarker + " tokens");
        String modified = "[The start of Assistant's answer to the modified instruction]";
        int marker = read.encode(modified, false).length;
        assertTrue(marker <= 16 && marker * 4 < modified.length(), "pair-maker marker takes " + marker + " tokens");
        // text never seen still encodes through byte fallback
        assertEquals("héllo ✓", read.decode(read.encode("héllo ✓", false)));
    }
}
