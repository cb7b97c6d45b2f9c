package dev.selftaught.cli;

import dev.selftaught.pipeline.RunLoop;
import dev.selftaught.pipeline.TrainSettings;
import dev.selftaught.pipeline.TrainStage;
import dev.selftaught.train.EmbeddedTrainers;
import dev.selftaught.train.TrainMethod;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code selftaught train-round}: the run loop's train stage for one round (done marker, embedded or external trainer). */
@Command(name = "train-round", mixinStandardHelpOptions = true,
        description = {"The train stage of one round (stage 4): fine-tune on RUN/round-I/sft.jsonl (SFT) and/or RUN/round-I/dpo.jsonl (DPO) "
                + "with the embedded trainer or an external command, recorded with a done marker like every stage "
                + "(for plain embedded training of any file, see the train command).",
                "External placeholders: {data} (sft.jsonl, or dpo.jsonl in a DPO phase), {data_fairseq2}, {method} (sft or dpo), {base}, "
                + "{output} (RUN/round-I/model), {validation}, {setting.NAME}.",
                "Writes RUN/round-I/model.json (the trained model's spec) and, for external commands, RUN/round-I/train.log."})
public final class RoundTrainCommand implements Callable<Integer> {
    @Mixin RunDirOption run;

    @Mixin RoundOption roundOption;

    @Option(names = "--base", required = true, paramLabel = "SPEC", description = "Model to start from (the method: the seed model, every round).")
    String base;

    @Option(names = "--backend", defaultValue = "embedded", paramLabel = "embedded|external", description = "Trainer: embedded (the project's CPU trainer, settings from --set) or external (runs --command). Default: ${DEFAULT-VALUE}.")
    String backend;

    @Option(names = "--method", defaultValue = "sft", paramLabel = "sft|dpo|sft+dpo|grpo",
            description = {"How the round trains (train.method in a run config): sft on the kept judgments (the paper); "
                    + "dpo = DPO with an NLL term on the DPO pairs, reference = the --base model; "
                    + "sft+dpo = SFT into RUN/round-I/model-sft, then DPO from it with it as reference (the released model, spec 2.7); "
                    + "grpo = online RL on RUN/pairs/pairs.jsonl with the pair-v2 judge prompt and the sft verdict rule (GRPO settings via --set; see train-grpo --help). dpo and sft+dpo need RUN/round-I/dpo.jsonl (annotate with DPO pairs). Default: ${DEFAULT-VALUE}."})
    String method;

    @Option(names = "--command", paramLabel = "TEMPLATE", description = "External trainer command template, run with /bin/sh -c.")
    String command;

    @Option(names = "--result-spec", defaultValue = "embedded:{output}", paramLabel = "TEMPLATE",
            description = "Model spec of the external trainer's result. Default: ${DEFAULT-VALUE}.")
    String resultSpec;

    @Option(names = "--validation", paramLabel = "FILE", description = "Validation rows handed to the trainer ({validation}).")
    String validation;

    @Option(names = "--timeout-minutes", defaultValue = "0", description = "Stop an external trainer after this long (0 = no limit). Default: ${DEFAULT-VALUE}.")
    int timeoutMinutes;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Trainer setting (repeatable), e.g. --set lr=1e-6 --set epochs=2.")
    Map<String, String> set = new LinkedHashMap<>();

    @Mixin RerunOptions.Force force;

    @Override
    public Integer call() {
        TrainSettings s = new TrainSettings(backend, command, resultSpec, "seed", validation, timeoutMinutes, new LinkedHashMap<>(set),
                TrainMethod.named(method));
        Path runDir = run.dir();
        int round = roundOption.value();
        Path rd = runDir.resolve("round-" + round);
        var trainer = RunLoop.trainers(settings -> EmbeddedTrainers.create(null)).create(s, rd);
        String spec;
        try (var lock = dev.selftaught.store.RunDirectory.open(runDir)) {
            var grpo = s.method() == TrainMethod.GRPO
                    ? new dev.selftaught.pipeline.GrpoStage(s, dev.selftaught.pipeline.AnnotateSettings.defaults(), null, new dev.selftaught.train.GrpoProgress(System.err, "grpo")) : null;
            spec = new TrainStage(s, trainer).withGrpo(grpo, runDir.resolve("pairs").resolve(dev.selftaught.pipeline.PairsStage.OUTPUT)).runInto(rd, base, force.force);
        }
        System.err.println("train round " + round + " (" + s.method() + "): " + spec);
        System.out.println(spec);
        return 0;
    }
}
