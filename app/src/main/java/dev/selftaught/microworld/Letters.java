package dev.selftaught.microworld;

import java.util.Optional;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

/** Counting: "How many letters are in apple?" and "How many times does a appear in banana?" */
final class Letters implements Family {
    static final Letters INSTANCE = new Letters();
    private static final Pattern LEN = Pattern.compile("How many letters are in ([a-z]+)\\?");
    private static final Pattern CNT = Pattern.compile("How many times does ([a-z]) appear in ([a-z]+)\\?");

    @Override public String name() { return "letters"; }
    @Override public Topic topic() { return Topic.TEXT; }

    @Override public Problem sample(SplittableRandom r) { return sampleFrom(r, Words.PLAIN); }

    Problem sampleScary(SplittableRandom r) { return sampleFrom(r, Words.SCARY); }

    private Problem sampleFrom(SplittableRandom r, java.util.List<String> words) {
        String w = Rnd.pick(r, words);
        // counting a letter of the word most of the time, sometimes one that is absent (answer 0)
        char ch = r.nextInt(4) == 0 ? (char) ('a' + r.nextInt(26)) : w.charAt(r.nextInt(w.length()));
        return r.nextBoolean() ? new Prob(w, '\0') : new Prob(w, ch);
    }

    @Override public Optional<Problem> parse(String s) {
        var m = LEN.matcher(s.strip());
        if (m.matches() && Words.ALL.contains(m.group(1))) return Optional.of(new Prob(m.group(1), '\0'));
        m = CNT.matcher(s.strip());
        if (m.matches() && Words.ALL.contains(m.group(2))) return Optional.of(new Prob(m.group(2), m.group(1).charAt(0)));
        return Optional.empty();
    }

    /** ch == 0 means "count all letters". */
    record Prob(String word, char ch) implements Problem {
        int count() { return ch == '\0' ? word.length() : (int) word.chars().filter(c -> c == ch).count(); }
        @Override public Family family() { return INSTANCE; }
        @Override public boolean looksDangerous() { return Words.isScary(word); }

        @Override public String instruction() {
            return ch == '\0' ? "How many letters are in " + word + "?"
                    : "How many times does " + ch + " appear in " + word + "?";
        }

        @Override public String response() { return render(count()); }
        @Override public String value() { return Integer.toString(count()); }

        private String render(int n) {
            return ch == '\0' ? word + " has " + n + " letters." : ch + " appears " + n + " times in " + word + ".";
        }

        @Override public Problem similar(SplittableRandom r) {
            var pool = Words.isScary(word) ? Words.SCARY : Words.PLAIN;
            for (int i = 0; i < 100; i++) {
                Prob p = switch (r.nextInt(3)) {
                    case 0 -> new Prob(Rnd.pickOther(r, pool, word), ch);
                    case 1 -> new Prob(word, ch == '\0' ? word.charAt(r.nextInt(word.length())) : '\0');
                    default -> new Prob(word, ch == '\0' ? '\0' : (char) ('a' + r.nextInt(26)));
                };
                if (p.count() != count()) return p;
            }
            throw new IllegalStateException("no similar problem for " + this);
        }

        @Override public String wrong(SplittableRandom r) {
            int n = count();
            int bad = n <= 1 ? n + 1 + r.nextInt(2) : n + Rnd.offset(r, 2);
            return render(Math.max(0, bad == n ? n + 1 : bad));
        }
    }
}
