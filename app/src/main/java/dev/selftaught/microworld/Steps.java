package dev.selftaught.microworld;

import java.util.Optional;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

/** Multi-step arithmetic: "Compute (12 + 7) * 3." → "12 + 7 = 19. 19 * 3 = 57." */
final class Steps implements Family {
    static final Steps INSTANCE = new Steps();
    private static final Pattern P = Pattern.compile("Compute \\((\\d+) ([-+*]) (\\d+)\\) ([-+*]) (\\d+)\\.");

    @Override public String name() { return "steps"; }
    @Override public Topic topic() { return Topic.MATH; }

    @Override public Problem sample(SplittableRandom r) {
        char op1 = "+-".charAt(r.nextInt(2));
        int a = Rnd.between(r, 2, 40), b = Rnd.between(r, 2, 40);
        if (op1 == '-' && b > a) { int t = a; a = b; b = t; }
        char op2 = "+-*".charAt(r.nextInt(3));
        int s = Arith.apply(op1, a, b);
        int c = op2 == '*' ? Rnd.between(r, 2, 9) : op2 == '-' ? Rnd.between(r, 1, Math.max(1, s)) : Rnd.between(r, 2, 40);
        return new Prob(a, op1, b, op2, c);
    }

    @Override public Optional<Problem> parse(String s) {
        var m = P.matcher(s.strip());
        if (!m.matches()) return Optional.empty();
        return Optional.of(new Prob(Integer.parseInt(m.group(1)), m.group(2).charAt(0), Integer.parseInt(m.group(3)),
                m.group(4).charAt(0), Integer.parseInt(m.group(5))));
    }

    record Prob(int a, char op1, int b, char op2, int c) implements Problem {
        int first() { return Arith.apply(op1, a, b); }
        int result() { return Arith.apply(op2, first(), c); }
        @Override public Family family() { return INSTANCE; }
        @Override public String instruction() { return "Compute (" + a + " " + op1 + " " + b + ") " + op2 + " " + c + "."; }
        @Override public String response() { return render(first(), first(), result()); }
        @Override public String value() { return Integer.toString(result()); }

        /** Step one's result as written, the value carried into step two, and the final result. */
        String render(int s1, int carried, int r) {
            return a + " " + op1 + " " + b + " = " + s1 + ". " + carried + " " + op2 + " " + c + " = " + r + ".";
        }

        @Override public Problem similar(SplittableRandom r) {
            for (int i = 0; i < 100; i++) {
                Prob p = switch (r.nextInt(4)) {
                    case 0 -> new Prob(a + Rnd.offset(r, 4), op1, b, op2, c);
                    case 1 -> new Prob(a, op1, b + Rnd.offset(r, 4), op2, c);
                    case 2 -> new Prob(a, op1, b, op2, c + Rnd.offset(r, 3));
                    default -> new Prob(a, op1, b, "+-*".charAt(r.nextInt(3)), c);
                };
                if (p.a >= 1 && p.b >= 1 && p.c >= 1 && p.first() >= 0 && p.result() >= 0
                        && p.result() != result()) return p;
            }
            throw new IllegalStateException("no similar problem for " + this);
        }

        /** Exactly one subtle error: a wrong first step carried on, a wrong second step, or a miscopied value. */
        @Override public String wrong(SplittableRandom r) {
            int s = first();
            return switch (r.nextInt(3)) {
                case 0 -> { int bad = Rnd.wrongNumber(r, s); yield render(bad, bad, Arith.apply(op2, bad, c)); }
                case 1 -> render(s, s, Rnd.wrongNumber(r, result()));
                default -> { int bad = Rnd.wrongNumber(r, s); yield render(s, bad, Arith.apply(op2, bad, c)); }
            };
        }
    }
}
