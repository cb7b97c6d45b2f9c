package dev.selftaught.engine.train;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * Low-rank adaptation settings: {@code W' = W + (alpha/rank) · B·A} on the chosen projections,
 * dropout applied to the adapter's input only.
 */
public record LoraConfig(int rank, float alpha, float dropout, Set<Target> targets) {
    /** Projections an adapter can attach to; {@link #hfName} is the PEFT target-module name. */
    public enum Target {
        Q("q_proj"), K("k_proj"), V("v_proj"), O("o_proj"), GATE("gate_proj"), UP("up_proj"), DOWN("down_proj");
        public final String hfName;
        Target(String hfName) { this.hfName = hfName; }

        /** Parses "q", "q_proj", "gate", "w1"-style names. */
        public static Target parse(String s) {
            String n = s.trim().toLowerCase(Locale.ROOT).replace("_proj", "");
            return switch (n) {
                case "q", "wq" -> Q;
                case "k", "wk" -> K;
                case "v", "wv" -> V;
                case "o", "wo" -> O;
                case "gate", "w1" -> GATE;
                case "up", "w3" -> UP;
                case "down", "w2" -> DOWN;
                default -> throw new IllegalArgumentException("unknown LoRA target module '" + s + "' (use q,k,v,o,gate,up,down)");
            };
        }
    }

    public LoraConfig {
        if (rank <= 0) throw new IllegalArgumentException("LoRA rank must be positive, got " + rank);
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("LoRA dropout must be in [0,1), got " + dropout);
        if (targets == null || targets.isEmpty()) throw new IllegalArgumentException("LoRA needs at least one target module");
        targets = Set.copyOf(EnumSet.copyOf(targets));
    }

    public float scale() { return alpha / rank; }

    /** Rank r, alpha 2r, no dropout, all seven projections. */
    public static LoraConfig of(int rank) {
        return new LoraConfig(rank, 2f * rank, 0f, EnumSet.allOf(Target.class));
    }

    public static Set<Target> parseTargets(String csv) {
        EnumSet<Target> s = EnumSet.noneOf(Target.class);
        for (String p : csv.split(",")) if (!p.isBlank()) s.add(Target.parse(p));
        return s;
    }
}
