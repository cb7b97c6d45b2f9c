package dev.selftaught.microworld;

import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

/**
 * Unit conversions. Single step (topic units): "Convert 3 km to m." → "3 km = 3000 m.".
 * Two steps (reasoning): "Convert 2 h 15 min to min." → "2 h = 120 min. 120 + 15 = 135 min."
 */
final class Units implements Family {
    record Unit(String big, String small, int factor) {}

    static final List<Unit> UNITS = List.of(
            new Unit("km", "m", 1000), new Unit("m", "cm", 100), new Unit("kg", "g", 1000),
            new Unit("h", "min", 60), new Unit("min", "s", 60), new Unit("day", "h", 24));

    static final Units SINGLE = new Units(false);
    static final Units TWO_STEP = new Units(true);

    private static final Pattern P1 = Pattern.compile("Convert (\\d+) (\\w+) to (\\w+)\\.");
    private static final Pattern P2 = Pattern.compile("Convert (\\d+) (\\w+) (\\d+) (\\w+) to (\\w+)\\.");

    private final boolean twoStep;

    private Units(boolean twoStep) { this.twoStep = twoStep; }

    @Override public String name() { return twoStep ? "convert2" : "convert"; }
    @Override public Topic topic() { return Topic.UNITS; }

    private static Optional<Unit> unit(String big, String small) {
        return UNITS.stream().filter(u -> u.big.equals(big) && u.small.equals(small)).findFirst();
    }

    @Override public Problem sample(SplittableRandom r) {
        Unit u = Rnd.pick(r, UNITS);
        int q = Rnd.between(r, 1, 9);
        int rest = twoStep ? Rnd.between(r, 1, Math.min(u.factor - 1, 99)) : 0;
        return new Prob(this, u, q, rest);
    }

    @Override public Optional<Problem> parse(String s) {
        var m = (twoStep ? P2 : P1).matcher(s.strip());
        if (!m.matches()) return Optional.empty();
        if (twoStep) {
            if (!m.group(4).equals(m.group(5))) return Optional.empty();
            return unit(m.group(2), m.group(4)).map(u ->
                    new Prob(this, u, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(3))));
        }
        return unit(m.group(2), m.group(3)).map(u -> new Prob(this, u, Integer.parseInt(m.group(1)), 0));
    }

    record Prob(Units fam, Unit u, int q, int rest) implements Problem {
        int big() { return q * u.factor; }
        int result() { return big() + rest; }
        @Override public Family family() { return fam; }

        @Override public String instruction() {
            return fam.twoStep ? "Convert " + q + " " + u.big + " " + rest + " " + u.small + " to " + u.small + "."
                    : "Convert " + q + " " + u.big + " to " + u.small + ".";
        }

        @Override public String response() { return render(big(), big(), result()); }
        @Override public String value() { return result() + " " + u.small; }

        String render(int b, int carried, int total) {
            String first = q + " " + u.big + " = " + b + " " + u.small + ".";
            return fam.twoStep ? first + " " + carried + " + " + rest + " = " + total + " " + u.small + "." : first;
        }

        @Override public Problem similar(SplittableRandom r) {
            for (int i = 0; i < 100; i++) {
                Prob p = switch (r.nextInt(fam.twoStep ? 3 : 2)) {
                    case 0 -> new Prob(fam, u, Math.max(1, q + Rnd.offset(r, 3)), rest);
                    case 1 -> new Prob(fam, Rnd.pickOther(r, UNITS, u), q, rest);
                    default -> new Prob(fam, u, q, Math.max(1, rest + Rnd.offset(r, 5)));
                };
                if (p.rest < p.u.factor && !p.response().equals(response()) && p.result() != result()) return p;
            }
            throw new IllegalStateException("no similar problem for " + this);
        }

        @Override public String wrong(SplittableRandom r) {
            if (!fam.twoStep) return render(Rnd.wrongNumber(r, big()), 0, 0);
            return switch (r.nextInt(3)) {
                case 0 -> { int bad = Rnd.wrongNumber(r, big()); yield render(bad, bad, bad + rest); }
                case 1 -> render(big(), big(), Rnd.wrongNumber(r, result()));
                default -> { int bad = Rnd.wrongNumber(r, big()); yield render(big(), bad, bad + rest); }
            };
        }
    }
}
