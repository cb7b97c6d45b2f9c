package dev.selftaught.microworld;

import dev.selftaught.data.ChatMessage;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelFactory;
import dev.selftaught.llm.ModelOptions;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.SamplingParams;
import dev.selftaught.pipeline.PairsStage;
import dev.selftaught.pipeline.SelectStage;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class OracleModelTest {

    private static String ask(LanguageModel m, String user) {
        return m.complete(ModelRequest.chat(List.of(ChatMessage.user(user)), SamplingParams.sample(0.7, 0.9, 64, 1, 5L)))
                .texts().getFirst();
    }

    @Test
    void oracleOpensBySpecAndPlaysTheGeneratorRolesCorrectly() {
        try (LanguageModel m = ModelFactory.open("microworld:oracle", ModelOptions.defaults())) {
            SplittableRandom r = new SplittableRandom(9);
            for (int i = 0; i < 200; i++) {
                Problem p = World.sample(r);
                String x = p.instruction();
                String yw = ask(m, x);
                assertTrue(Checker.isCorrect(x, yw), x + " -> " + yw);
                var parsed = PairsStage.parseModified(ask(m, MicroPrompts.renderModified(x, yw)), x);
                assertNull(parsed.dropReason(), x);
                assertTrue(Checker.isCorrect(parsed.modifiedInstruction(), parsed.rejected()), parsed.toString());
                assertFalse(Checker.isCorrect(x, parsed.rejected()), parsed.toString());
                var bad = PairsStage.parseBad(ask(m, MicroPrompts.renderBad(x, yw)), yw);
                assertNull(bad.dropReason(), x);
                assertFalse(Checker.isCorrect(x, bad.rejected()), bad.toString());
                String cat = SelectStage.parseCategory(ask(m, MicroPrompts.renderCategorize(x)), MicroPrompts.categories());
                assertEquals(p.family().topic().label(), cat);
            }
        }
    }
}
