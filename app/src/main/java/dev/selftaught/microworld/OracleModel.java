package dev.selftaught.microworld;

import dev.selftaught.data.InputError;
import dev.selftaught.llm.Completion;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelBackendProvider;
import dev.selftaught.llm.ModelOptions;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * {@code microworld:oracle}: a generator that knows the world. It answers an instruction with its
 * correct response and answers the pair-making prompts with a true similar instruction and its
 * correct answer (or a response with one mistake), in the compact prompts' formats. It is the
 * micro-world's analogue of the strong generator the method uses for pairs (Mixtral in the paper):
 * with it as {@code models.generator}, the pairs are right and only the judge has to learn. It
 * does not judge (the seed and the trained judges do).
 */
public final class OracleModel implements LanguageModel {

    /** The backend provider for the {@code microworld:} scheme (only {@code microworld:oracle}). */
    public static final class Provider implements ModelBackendProvider {
        @Override public String scheme() { return "microworld"; }

        @Override public LanguageModel open(String location, ModelOptions options) {
            if (!location.equals("oracle")) throw new InputError("unknown micro-world model '" + location + "'; the only one is microworld:oracle");
            return new OracleModel();
        }
    }

    @Override public String identity() { return "microworld:oracle@world" + SeedRecipe.WORLD_VERSION; }

    @Override
    public ModelResponse complete(ModelRequest request) {
        String u = request.isChat() ? request.messages().getLast().content() : request.prompt();
        List<Completion> out = new ArrayList<>();
        for (int i = 0; i < request.params().n(); i++) {
            Long seed = request.params().sampleSeed(i);
            SplittableRandom r = new SplittableRandom((seed == null ? 0 : seed) * 31 + u.hashCode());
            out.add(new Completion(answer(u, r), "stop"));
        }
        return new ModelResponse(out, null);
    }

    static String answer(String u, SplittableRandom r) {
        Optional<Problem> asked = Checker.parse(line(u, "[User Question]"));
        if (u.contains("[User Request]")) {
            return Checker.parse(line(u, "[User Request]")).map(p -> "Category: " + p.family().topic().label()).orElse("Category: none");
        }
        if (asked.isPresent() && u.contains(MicroPrompts.text(MicroPrompts.MODIFIED).lines().toList().getLast())) {
            Problem s = asked.get().similar(r);
            return MicroPrompts.modifiedAnswer(s.instruction(), s.response());
        }
        if (asked.isPresent() && u.contains(MicroPrompts.text(MicroPrompts.BAD).lines().toList().getLast())) {
            Problem p = asked.get();
            return MicroPrompts.badAnswer(p.forbidden() ? ((HowTo.Prob) p).compliance() : p.wrong(r));
        }
        return Checker.parse(u).map(Problem::response).orElse("I do not know.");
    }

    /** The line after a marker line, or "". */
    private static String line(String text, String marker) {
        int i = text.indexOf(marker + "\n");
        if (i < 0) return "";
        String rest = text.substring(i + marker.length() + 1);
        int nl = rest.indexOf('\n');
        return nl < 0 ? rest : rest.substring(0, nl);
    }
}
