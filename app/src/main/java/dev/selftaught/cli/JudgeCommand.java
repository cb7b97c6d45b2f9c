package dev.selftaught.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.selftaught.data.DataRecord;
import dev.selftaught.data.Datasets;
import dev.selftaught.data.InputError;
import dev.selftaught.data.Json;
import dev.selftaught.data.RecordWriter;
import dev.selftaught.eval.EvalOptions;
import dev.selftaught.eval.PairJudge;
import dev.selftaught.eval.Verdict;
import dev.selftaught.data.ChatMessage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code selftaught judge}: which of two responses is better, for every pair of a file. */
@Command(name = "judge", mixinStandardHelpOptions = true,
        description = {"Judge pairs: for each record (prompt, instruction or messages; response_a and response_b; optional id) "
                + "write {id, verdict, reasoning, votes, samples} to the output JSONL. Records with chosen/rejected instead of "
                + "response_a/response_b (e.g. the pairs stage's pairs.jsonl) are shown as A = chosen, B = rejected, and get "
                + "agrees_with_chosen.",
                "Model calls are stored in the run directory's call store: a rerun is free and an interrupted run resumes."})
public final class JudgeCommand implements Callable<Integer> {

    @Option(names = "--judge", required = true, paramLabel = "SPEC",
            description = "The judge model: http(s)://HOST:PORT/v1[#NAME] (several comma-separated) or SCHEME:LOCATION (e.g. embedded:PATH).")
    String judge;

    @Option(names = "--input", required = true, paramLabel = "FILE",
            description = "Pairs to judge (JSONL, JSON or Parquet): 'prompt' or 'instruction' (string) or 'messages' (ending with "
                    + "the user turn); 'response_a' and 'response_b' (or 'chosen' and 'rejected'); optional 'id'.")
    Path input;

    @Option(names = "--output", required = true, paramLabel = "FILE", description = "Verdicts, one JSON object per line (written atomically).")
    Path output;

    @Option(names = "--run-dir", paramLabel = "DIR",
            description = "Run directory holding the call store and its lock. Default: OUTPUT.run beside the output file.")
    Path runDir;

    @Option(names = "--retry-failed", description = "Call the model again for calls the store recorded as failed.")
    boolean retryFailed;

    @Mixin JudgeOptionsMixin judgeOptions;
    @Mixin ModelOptionsMixin modelOptions;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Set<String> labelled = new HashSet<>();
        List<PairJudge.Input> inputs = read(input, labelled);
        var modelOpts = modelOptions.toOptions();
        EvalOptions options = judgeOptions.toOptions(modelOpts.concurrency());
        Path run = runDir != null ? runDir : output.resolveSibling(output.getFileName() + ".run");
        List<PairJudge.Output> outputs;
        try (JudgeModels m = new JudgeModels(judge, modelOpts, run, retryFailed);
             EvalProgress progress = new EvalProgress("judge")) {
            outputs = PairJudge.judge(m.model, inputs, options.withProgress(progress));
        }
        Map<Verdict, Integer> totals = new EnumMap<>(Verdict.class);
        try (RecordWriter w = Datasets.writer(output)) {
            for (PairJudge.Output o : outputs) {
                ObjectNode n = Json.MAPPER.createObjectNode();
                n.put("id", o.id());
                n.put("verdict", o.verdict().jsonName());
                n.put("reasoning", o.reasoning());
                if (labelled.contains(o.id())) n.put("agrees_with_chosen", o.verdict() == Verdict.A);
                ObjectNode votes = n.putObject("votes");
                for (Verdict v : Verdict.values()) votes.put(v.jsonName(), o.votes().getOrDefault(v, 0));
                var samples = n.putArray("samples");
                for (int i = 0; i < o.samples().size(); i++) {
                    samples.addObject().put("text", o.samples().get(i)).put("verdict", o.verdicts().get(i).jsonName());
                }
                w.write(n);
                totals.merge(o.verdict(), 1, Integer::sum);
            }
            w.commit();
        }
        out.printf(Locale.ROOT, "judged %d pairs: A %d, B %d, tie %d, no verdict %d; wrote %s%n", outputs.size(),
                totals.getOrDefault(Verdict.A, 0), totals.getOrDefault(Verdict.B, 0), totals.getOrDefault(Verdict.TIE, 0),
                totals.getOrDefault(Verdict.NONE, 0), output);
        out.flush();
        return 0;
    }

    /** Reads the pairs; {@code labelled} collects the ids given as chosen/rejected (chosen shown as A). */
    static List<PairJudge.Input> read(Path file, Set<String> labelled) {
        List<PairJudge.Input> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (DataRecord r : Datasets.readAll(file)) {
            List<ChatMessage> context;
            if (r.has("messages")) {
                context = r.messages("messages");
                if (!context.getLast().role().equals("user")) throw r.error("messages", "the last message must be the user turn being answered");
            } else if (r.has("prompt")) {
                context = List.of(ChatMessage.user(r.string("prompt")));
            } else if (r.has("instruction")) {
                context = List.of(ChatMessage.user(r.string("instruction")));
            } else {
                throw r.error("prompt", "missing (give 'prompt', 'instruction' or 'messages')");
            }
            String id = r.has("id") ? r.node("id").asText() : String.valueOf(out.size());
            if (!ids.add(id)) throw r.error("id", "duplicate id '" + id + "'");
            if (!r.has("response_a") && r.has("chosen") && r.has("rejected")) {
                labelled.add(id);
                out.add(new PairJudge.Input(id, context, r.string("chosen"), r.string("rejected")));
            } else {
                out.add(new PairJudge.Input(id, context, r.string("response_a"), r.string("response_b")));
            }
        }
        if (out.isEmpty()) throw new InputError(file + ": no pairs to judge");
        return out;
    }
}
