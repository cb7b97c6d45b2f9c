package dev.selftaught.engine.format;

import dev.selftaught.engine.llama2c.Llama2cTokenizer;
import dev.selftaught.engine.tokenizer.Tokenizer;
import dev.selftaught.engine.tokenizer.Vocabulary;

import java.util.ArrayList;
import java.util.List;

/** The exportable vocabulary of any engine tokenizer, for the checkpoint writers. */
public final class Vocabularies {
    private Vocabularies() {}

    public static Vocabulary of(Tokenizer t) {
        if (t.vocabulary().isPresent()) return t.vocabulary().get();
        if (t instanceof Llama2cTokenizer l) {
            List<String> pieces = new ArrayList<>(l.vocabSize());
            float[] scores = new float[l.vocabSize()];
            for (int i = 0; i < l.vocabSize(); i++) {
                pieces.add(l.piece(i));
                scores[i] = l.score(i);
            }
            return Vocabulary.fromLlama2c(pieces, scores);
        }
        throw new IllegalArgumentException("tokenizer " + t.getClass().getSimpleName() + " cannot export its vocabulary");
    }
}
