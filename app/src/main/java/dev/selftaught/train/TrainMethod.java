package dev.selftaught.train;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.selftaught.data.DidYouMean;
import dev.selftaught.data.InputError;

import java.util.Arrays;
import java.util.List;

/**
 * How a round trains its judge ({@code train.method}, {@code train-round --method}):
 * <ul>
 *   <li>{@code sft}: supervised fine-tuning on the kept judgments ({@code sft.jsonl}), as in the paper;</li>
 *   <li>{@code dpo}: DPO with an NLL term on the preference pairs ({@code dpo.jsonl}), the reference
 *       model being the model training starts from (spec §2.7);</li>
 *   <li>{@code sft+dpo}: SFT, then DPO from the SFT result with it as reference, as the released
 *       model was trained (spec §2.7);</li>
 *   <li>{@code grpo}: online RL with verifiable rewards (J1-style).</li>
 * </ul>
 * The train stage has one switch over these values; each trainer backend runs one phase at a time
 * ({@link TrainJob#method()} is {@code SFT} or {@code DPO}).
 */
public enum TrainMethod {
    SFT("sft"), DPO("dpo"), SFT_DPO("sft+dpo"), GRPO("grpo");

    private final String id;

    TrainMethod(String id) { this.id = id; }

    /** The name in configs, options and reports ({@code sft+dpo}). */
    @JsonValue
    public String id() { return id; }

    @Override public String toString() { return id; }

    /** True when the method trains on the annotate stage's DPO pairs. */
    public boolean usesPreferences() { return this == DPO || this == SFT_DPO; }

    /** True when the method trains on the annotate stage's SFT rows. */
    public boolean usesSft() { return this == SFT || this == SFT_DPO; }

    public static List<String> names() { return Arrays.stream(values()).map(TrainMethod::id).toList(); }

    /** The method named {@code s} (case ignored; null = sft); anything else is an error with the nearest name. */
    @JsonCreator
    public static TrainMethod named(String s) {
        if (s == null) return SFT;
        for (TrainMethod m : values()) if (m.id.equalsIgnoreCase(s.trim())) return m;
        String hint = DidYouMean.nearest(s.trim(), names()).map(n -> "; did you mean '" + n + "'?").orElse("");
        throw new InputError("train.method must be one of " + String.join(", ", names()) + "; got '" + s + "'" + hint);
    }
}
