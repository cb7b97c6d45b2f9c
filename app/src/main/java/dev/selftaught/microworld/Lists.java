package dev.selftaught.microworld;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** List operations on 3–4 numbers: sort either way, largest / smallest. */
final class Lists implements Family {
    static final Lists INSTANCE = new Lists();

    enum Op {
        ASC("Sort %s from small to large.", "Sorted: %s."),
        DESC("Sort %s from large to small.", "Sorted: %s."),
        MAX("What is the largest of %s?", "The largest is %s."),
        MIN("What is the smallest of %s?", "The smallest is %s.");

        final String ask, answer;
        Op(String ask, String answer) { this.ask = ask; this.answer = answer; }

        private volatile Pattern compiled; // built once; a race only builds the same pattern twice

        Pattern pattern() {
            Pattern p = compiled;
            if (p == null) compiled = p = Pattern.compile(Pattern.quote(ask).replace("%s", "\\E([0-9, ]+)\\Q"));
            return p;
        }
    }

    @Override public String name() { return "lists"; }
    @Override public Topic topic() { return Topic.LISTS; }

    @Override public Problem sample(SplittableRandom r) {
        int n = Rnd.between(r, 3, 4);
        var xs = new ArrayList<Integer>();
        while (xs.size() < n) {
            int x = Rnd.between(r, 1, 30);
            if (!xs.contains(x)) xs.add(x);
        }
        return new Prob(Rnd.pick(r, List.of(Op.values())), List.copyOf(xs));
    }

    @Override public Optional<Problem> parse(String s) {
        for (Op op : Op.values()) {
            var m = op.pattern().matcher(s.strip());
            if (!m.matches()) continue;
            try {
                var xs = Arrays.stream(m.group(1).split(",")).map(String::strip).map(Integer::parseInt).toList();
                if (xs.size() >= 2) return Optional.of(new Prob(op, xs));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    static String join(List<Integer> xs) { return xs.stream().map(String::valueOf).collect(Collectors.joining(", ")); }

    record Prob(Op op, List<Integer> xs) implements Problem {
        @Override public Family family() { return INSTANCE; }
        @Override public String instruction() { return op.ask.formatted(join(xs)); }
        @Override public String response() { return op.answer.formatted(value()); }

        @Override public String value() {
            var s = new ArrayList<>(xs);
            s.sort(null);
            return switch (op) {
                case ASC -> join(s);
                case DESC -> join(s.reversed());
                case MAX -> String.valueOf(s.getLast());
                case MIN -> String.valueOf(s.getFirst());
            };
        }

        @Override public Problem similar(SplittableRandom r) {
            for (int i = 0; i < 100; i++) {
                Prob p;
                if (r.nextBoolean()) {
                    p = new Prob(Rnd.pickOther(r, List.of(Op.values()), op), xs);
                } else {
                    var ys = new ArrayList<>(xs);
                    int k = r.nextInt(ys.size());
                    ys.set(k, Math.max(1, ys.get(k) + Rnd.offset(r, 12)));
                    p = new Prob(op, List.copyOf(ys));
                }
                if (!p.value().equals(value()) && p.xs.stream().distinct().count() == p.xs.size()) return p;
            }
            throw new IllegalStateException("no similar problem for " + this);
        }

        @Override public String wrong(SplittableRandom r) {
            var s = new ArrayList<>(xs);
            s.sort(null);
            if (op == Op.ASC || op == Op.DESC) {
                if (op == Op.DESC) s = new ArrayList<>(s.reversed());
                int i = r.nextInt(s.size() - 1);
                var t = s.get(i); s.set(i, s.get(i + 1)); s.set(i + 1, t);
                return op.answer.formatted(join(s));
            }
            // the largest/smallest question answered with another member of the list
            String v = value();
            String bad = String.valueOf(Rnd.pickOther(r, xs, Integer.parseInt(v)));
            return op.answer.formatted(bad);
        }
    }
}
