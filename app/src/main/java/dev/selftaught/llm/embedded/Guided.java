package dev.selftaught.llm.embedded;

import dev.selftaught.engine.generate.ByteDfa;
import dev.selftaught.engine.tokenizer.Tokenizer;
import dev.selftaught.llm.TokenLogprob;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** vLLM's guided-decoding fields and the engine's log-probabilities, as the embedded backend reads and reports them. */
final class Guided {
    static final String CHOICE = "guided_choice", REGEX = "guided_regex";
    /** Bounds on a choice list (the automaton has its own, {@link ByteDfa#MAX_STATES}). */
    static final int MAX_CHOICES = 256, MAX_CHOICE_BYTES = 256;

    private Guided() {}

    /** The automaton of a guided_choice list or guided_regex string; bad values are the request's fault. */
    static ByteDfa automaton(String key, Object v) {
        try {
            if (key.equals(CHOICE)) {
                if (!(v instanceof List<?> list) || list.isEmpty() || !list.stream().allMatch(o -> o instanceof String)) {
                    throw new IllegalArgumentException("guided_choice must be a non-empty list of strings");
                }
                if (list.size() > MAX_CHOICES) throw new IllegalArgumentException("guided_choice holds at most " + MAX_CHOICES + " choices, got " + list.size());
                List<String> choices = list.stream().map(String.class::cast).toList();
                for (String c : choices) {
                    if (c.getBytes(StandardCharsets.UTF_8).length > MAX_CHOICE_BYTES) {
                        throw new IllegalArgumentException("guided_choice entries are at most " + MAX_CHOICE_BYTES + " bytes long");
                    }
                }
                return ByteDfa.ofChoices(choices);
            }
            if (!(v instanceof String re)) throw new IllegalArgumentException("guided_regex must be a string");
            return ByteDfa.ofRegex(re);
        } catch (IllegalArgumentException e) {
            throw EmbeddedModel.Extras.bad(key, e.getMessage());
        }
    }

    /** Engine log-probabilities as the model interface reports them; {@code prev} is the token before the first. */
    static List<TokenLogprob> convert(Tokenizer tok, int prev, List<dev.selftaught.engine.generate.TokenLogprob> lps) {
        List<TokenLogprob> out = new ArrayList<>(lps.size());
        for (var lp : lps) {
            out.add(convert(tok, prev, lp));
            prev = lp.token();
        }
        return out;
    }

    static TokenLogprob convert(Tokenizer tok, int prev, dev.selftaught.engine.generate.TokenLogprob lp) {
        List<TokenLogprob.Alternative> top = new ArrayList<>(lp.topTokens().length);
        for (int i = 0; i < lp.topTokens().length; i++) {
            byte[] b = tok.streamBytes(prev, lp.topTokens()[i]);
            top.add(new TokenLogprob.Alternative(new String(b, StandardCharsets.UTF_8), b, lp.topLogprobs()[i]));
        }
        byte[] b = tok.streamBytes(prev, lp.token());
        return new TokenLogprob(new String(b, StandardCharsets.UTF_8), b, Float.isNaN(lp.logprob()) ? null : (double) lp.logprob(), top);
    }
}
