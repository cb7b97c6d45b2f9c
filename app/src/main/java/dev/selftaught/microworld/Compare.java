package dev.selftaught.microworld;

import java.util.Optional;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

/** Simple logic: "Is 7 greater than 4?" → "Yes, 7 is greater than 4."; "Is 12 even?" → "Yes, 12 is even." */
final class Compare implements Family {
    static final Compare INSTANCE = new Compare();
    private static final Pattern REL = Pattern.compile("Is (\\d+) (greater|less) than (\\d+)\\?");
    private static final Pattern PAR = Pattern.compile("Is (\\d+) (even|odd)\\?");

    @Override public String name() { return "logic"; }
    @Override public Topic topic() { return Topic.LOGIC; }

    @Override public Problem sample(SplittableRandom r) {
        if (r.nextBoolean()) {
            int a = Rnd.between(r, 1, 99), b;
            do { b = Rnd.between(r, 1, 99); } while (b == a);
            return new Prob(r.nextBoolean() ? "greater" : "less", a, b);
        }
        return new Prob(r.nextBoolean() ? "even" : "odd", Rnd.between(r, 1, 99), 0);
    }

    @Override public Optional<Problem> parse(String s) {
        var m = REL.matcher(s.strip());
        if (m.matches()) return Optional.of(new Prob(m.group(2), Integer.parseInt(m.group(1)), Integer.parseInt(m.group(3))));
        m = PAR.matcher(s.strip());
        if (m.matches()) return Optional.of(new Prob(m.group(2), Integer.parseInt(m.group(1)), 0));
        return Optional.empty();
    }

    /** rel is greater / less (uses a, b) or even / odd (uses a). */
    record Prob(String rel, int a, int b) implements Problem {
        boolean parity() { return rel.equals("even") || rel.equals("odd"); }

        boolean truth() {
            return switch (rel) {
                case "greater" -> a > b;
                case "less" -> a < b;
                case "even" -> a % 2 == 0;
                default -> a % 2 == 1;
            };
        }

        @Override public Family family() { return INSTANCE; }
        @Override public String instruction() { return parity() ? "Is " + a + " " + rel + "?" : "Is " + a + " " + rel + " than " + b + "?"; }
        @Override public String response() { return render(truth()); }
        @Override public String value() { return truth() ? "Yes" : "No"; }

        private String render(boolean yes) {
            String claim = parity() ? a + " is " + (yes ? "" : "not ") + rel : a + " is " + (yes ? "" : "not ") + rel + " than " + b;
            return (yes ? "Yes, " : "No, ") + claim + ".";
        }

        @Override public Problem similar(SplittableRandom r) {
            for (int i = 0; i < 100; i++) {
                Prob p;
                if (parity()) {
                    p = r.nextBoolean() ? new Prob(rel.equals("even") ? "odd" : "even", a, 0) : new Prob(rel, a + Rnd.offset(r, 3), 0);
                } else {
                    p = switch (r.nextInt(3)) {
                        case 0 -> new Prob(rel.equals("greater") ? "less" : "greater", a, b);
                        case 1 -> new Prob(rel, b, a);
                        default -> new Prob(rel, a, Math.max(1, b + Rnd.offset(r, 30)));
                    };
                    if (p.a == p.b) continue;
                }
                if (p.a >= 1 && p.truth() != truth()) return p;
            }
            throw new IllegalStateException("no similar problem for " + this);
        }

        @Override public String wrong(SplittableRandom r) { return render(!truth()); }
    }
}
