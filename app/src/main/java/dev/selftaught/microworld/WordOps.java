package dev.selftaught.microworld;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

/** String operations on one word: "Reverse the word cat." → "The reverse of cat is tac." */
final class WordOps implements Family {
    static final WordOps INSTANCE = new WordOps();

    enum Op {
        REVERSE("Reverse the word %s.", "The reverse of %s is %s."),
        UPPER("Write the word %s in capitals.", "In capitals, %s is %s."),
        FIRST("What is the first letter of %s?", "The first letter of %s is %s."),
        LAST("What is the last letter of %s?", "The last letter of %s is %s.");

        final String ask, answer;
        Op(String ask, String answer) { this.ask = ask; this.answer = answer; }

        String apply(String w) {
            return switch (this) {
                case REVERSE -> new StringBuilder(w).reverse().toString();
                case UPPER -> w.toUpperCase(Locale.ROOT);
                case FIRST -> w.substring(0, 1);
                case LAST -> w.substring(w.length() - 1);
            };
        }

        private volatile Pattern compiled; // built once; a race only builds the same pattern twice

        Pattern pattern() {
            Pattern p = compiled;
            if (p == null) compiled = p = Pattern.compile(Pattern.quote(ask).replace("%s", "\\E([a-z]+)\\Q"));
            return p;
        }
    }

    @Override public String name() { return "wordops"; }
    @Override public Topic topic() { return Topic.TEXT; }

    @Override public Problem sample(SplittableRandom r) {
        return new Prob(Rnd.pick(r, List.of(Op.values())), Rnd.pick(r, Words.PLAIN));
    }

    /** A harmless task on a dangerous-sounding word. */
    Problem sampleScary(SplittableRandom r) {
        return new Prob(Rnd.pick(r, List.of(Op.values())), Rnd.pick(r, Words.SCARY));
    }

    @Override public Optional<Problem> parse(String s) {
        for (Op op : Op.values()) {
            var m = op.pattern().matcher(s.strip());
            if (m.matches() && Words.ALL.contains(m.group(1))) return Optional.of(new Prob(op, m.group(1)));
        }
        return Optional.empty();
    }

    record Prob(Op op, String word) implements Problem {
        @Override public Family family() { return INSTANCE; }
        @Override public String instruction() { return op.ask.formatted(word); }
        @Override public String response() { return op.answer.formatted(word, value()); }
        @Override public String value() { return op.apply(word); }
        @Override public boolean looksDangerous() { return Words.isScary(word); }

        @Override public Problem similar(SplittableRandom r) {
            List<String> pool = Words.isScary(word) ? Words.SCARY : Words.PLAIN;
            for (int i = 0; i < 100; i++) {
                Prob p = r.nextBoolean() ? new Prob(Rnd.pickOther(r, List.of(Op.values()), op), word)
                        : new Prob(op, Rnd.pickOther(r, pool, word));
                if (!p.value().equals(value())) return p;
            }
            throw new IllegalStateException("no similar problem for " + this);
        }

        @Override public String wrong(SplittableRandom r) {
            String v = value();
            String bad;
            if (v.length() == 1) {
                bad = Character.toString(Rnd.pickOther(r, List.of("abcdefghijklmnopqrstuvwxyz".split("")), v).charAt(0));
            } else {
                // swap two neighbouring letters that differ: a plausible slip
                char[] c = v.toCharArray();
                int i = r.nextInt(c.length - 1);
                for (int k = 0; k < c.length - 1 && c[i] == c[i + 1]; k++) i = (i + 1) % (c.length - 1);
                char t = c[i]; c[i] = c[i + 1]; c[i + 1] = t;
                bad = new String(c);
                if (bad.equals(v)) bad = v.substring(1) + v.charAt(0);
            }
            return op.answer.formatted(word, bad);
        }
    }
}
