package dev.selftaught.pipeline;

import dev.selftaught.data.InputError;
import dev.selftaught.train.TrainMethod;

import java.util.Map;

/**
 * Settings of the train stage (config section {@code train}).
 *
 * @param backend      embedded (the in-process CPU trainer) or external (a command)
 * @param command      external: the command template ({data}, {base}, {output}, {validation}, {data_fairseq2}, {setting.NAME})
 * @param resultSpec   external: model spec of the result, {output} replaced (default embedded:{output})
 * @param init         seed (every round starts from the seed model, as in the method) or previous
 * @param validation   pairwise validation set for checkpoint selection (JSONL), or null
 * @param timeoutMinutes external command time limit (0 = none)
 * @param settings     trainer hyper-parameters handed to the backend (lr, epochs, ...)
 * @param method       sft (the paper), dpo, sft+dpo (the released model, spec §2.7) or grpo; see {@link TrainMethod}
 */
public record TrainSettings(String backend, String command, String resultSpec, String init, String validation,
                            int timeoutMinutes, Map<String, Object> settings, TrainMethod method) {
    /** Settings training by SFT, the paper's method. */
    public TrainSettings(String backend, String command, String resultSpec, String init, String validation,
                         int timeoutMinutes, Map<String, Object> settings) {
        this(backend, command, resultSpec, init, validation, timeoutMinutes, settings, TrainMethod.SFT);
    }

    public TrainSettings {
        if (method == null) method = TrainMethod.SFT;
        if (backend == null) backend = "embedded";
        if (!backend.equals("embedded") && !backend.equals("external")) {
            throw new InputError("train.backend must be embedded or external; got '" + backend + "'");
        }
        if (init == null) init = "seed";
        if (!init.equals("seed") && !init.equals("previous")) {
            throw new InputError("train.init must be seed or previous; got '" + init + "'");
        }
        settings = settings == null ? Map.of() : Map.copyOf(settings);
    }

    public static TrainSettings defaults() {
        return new TrainSettings("embedded", null, null, "seed", null, 0, Map.of(), TrainMethod.SFT);
    }
}
