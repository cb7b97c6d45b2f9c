package dev.selftaught.microworld;

import java.util.Optional;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

/** "What is 37 + 18?" → "37 + 18 = 55." */
final class Arith implements Family {
    static final Arith INSTANCE = new Arith();
    private static final Pattern P = Pattern.compile("What is (\\d+) ([-+*]) (\\d+)\\?");

    @Override public String name() { return "arith"; }
    @Override public Topic topic() { return Topic.MATH; }

    static int apply(char op, int a, int b) {
        return switch (op) {
            case '+' -> a + b;
            case '-' -> a - b;
            case '*' -> a * b;
            default -> throw new IllegalArgumentException("op " + op);
        };
    }

    static Prob make(char op, int a, int b) {
        if (op == '-' && b > a) { int t = a; a = b; b = t; } // keep results non-negative
        return new Prob(op, a, b);
    }

    @Override public Problem sample(SplittableRandom r) {
        char op = "+-*".charAt(r.nextInt(3));
        return op == '*' ? make(op, Rnd.between(r, 2, 12), Rnd.between(r, 2, 12))
                : make(op, Rnd.between(r, 2, 99), Rnd.between(r, 2, 99));
    }

    @Override public Optional<Problem> parse(String s) {
        var m = P.matcher(s.strip());
        if (!m.matches()) return Optional.empty();
        return Optional.of(new Prob(m.group(2).charAt(0), Integer.parseInt(m.group(1)), Integer.parseInt(m.group(3))));
    }

    record Prob(char op, int a, int b) implements Problem {
        int result() { return apply(op, a, b); }
        @Override public Family family() { return INSTANCE; }
        @Override public String instruction() { return "What is " + a + " " + op + " " + b + "?"; }
        @Override public String response() { return a + " " + op + " " + b + " = " + result() + "."; }
        @Override public String value() { return Integer.toString(result()); }

        @Override public Problem similar(SplittableRandom r) {
            for (int i = 0; i < 100; i++) {
                Prob p = switch (r.nextInt(3)) {
                    case 0 -> make(op, Math.max(1, a + Rnd.offset(r, 5)), b);
                    case 1 -> make(op, a, Math.max(1, b + Rnd.offset(r, 5)));
                    default -> make("+-*".charAt(r.nextInt(3)), a, b);
                };
                if (p.result() != result() && !p.equals(this)) return p;
            }
            throw new IllegalStateException("no similar problem for " + this);
        }

        @Override public String wrong(SplittableRandom r) {
            return a + " " + op + " " + b + " = " + Rnd.wrongNumber(r, result()) + ".";
        }
    }
}
