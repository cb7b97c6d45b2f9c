package dev.selftaught.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** One option name per concept, declared once (shared options are mixins), and every option explained. */
class CliOptionsTest {
    /**
     * Names that several commands declare separately on purpose: the same word, but what it
     * applies to differs by command (so no shared description would be true everywhere).
     */
    static final Map<String, String> DECLARED_PER_COMMAND = Map.ofEntries(
            Map.entry("--model", "the model spec a command opens: a generator, a categoriser, a served or benchmarked model"),
            Map.entry("--output", "each command's own output (a file, a directory of metrics, a checkpoint)"),
            Map.entry("--out", "alias of --output where --output is declared"),
            Map.entry("--input", "the input file of generate and judge, in their own record formats"),
            Map.entry("--run-dir", "eval, judge and generate default it beside their output; stage commands require it (RunDirOption)"),
            Map.entry("--order", "annotate: both|random|fixed of the training pairs; eval: random|both|fixed|fixed-b of a benchmark"),
            Map.entry("--samples", "annotate: samples for rejection sampling (15); judge/eval: samples for a majority vote (1)"),
            Map.entry("--parse-rule", "annotate: the training-label rule (default sft); judge/eval: the verdict rule (default rewardbench)"),
            Map.entry("--template", "the judge prompt; annotate leaves its validation to the stage settings"),
            Map.entry("--force", "redo what exists: a stage (RerunOptions), a cached seed (microworld), an output file (convert)"),
            Map.entry("--seed", "generate's seed is optional (unseeded by default); everywhere else SeedOption"),
            Map.entry("--set", "run: a config key; train-round: a trainer setting"),
            Map.entry("--validation", "train: validation rows; train-round: the file handed to an external trainer"),
            Map.entry("--method", "pairs: how y_l is made (pairs.method); train-round: how the round trains (train.method), as the config keys name them"),
            Map.entry("--base", "the model training starts from: train (a checkpoint), train-round (a spec)"),
            Map.entry("--limit", "convert: records copied; eval: items judged"),
            Map.entry("--warmup", "untimed runs/calls/steps of each benchmark; the LR warm-up steps of train"),
            Map.entry("--categories", "select: the category names offered to the categoriser (--keep picks the kept ones); demo: the micro-world topics kept, whose categoriser is fixed"),
            Map.entry("--recipe", "the seed recipe of demo (default by --quick) and microworld"),
            Map.entry("--concurrency", "requests in flight: of every model (ModelOptionsMixin), of the client benchmark"),
            Map.entry("--api-key-env", "the key a client sends (ModelOptionsMixin); the key serve requires"),
            Map.entry("--dim", "model width of the two random-model benchmarks"),
            Map.entry("--hidden-dim", "SwiGLU width of the two random-model benchmarks"),
            Map.entry("--layers", "layers of the two random-model benchmarks"),
            Map.entry("--heads", "heads of the two random-model benchmarks"),
            Map.entry("--kv-heads", "KV heads of the two random-model benchmarks"),
            Map.entry("--vocab", "vocabulary of the two random-model benchmarks"),
            Map.entry("--seq-len", "context of the two random-model benchmarks, longest row of train"),
            Map.entry("--lora-rank", "LoRA rank of train and bench train"),
            Map.entry("--tokens", "new tokens per stream (bench decode) or per HTTP request (bench serve)"),
            Map.entry("--prompt", "pairs: a prompt template file; bench serve: the prompt text of every request"),
            Map.entry("--pairs", "the synthetic pairs JSONL: annotate (default RUN/pairs/pairs.jsonl), train-grpo (required); train-grpo also shares --set, --validation, --base, --template, --parse-rule in its own sense"),
            Map.entry("--rounds", "demo: self-training rounds; bench serve: measurement rounds"));

    @Test
    void everyOptionIsExplainedAndSharedOnesAreDeclaredOnce() {
        Map<String, Set<String>> declaredBy = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        visit(Main.commandLine(), (command, o) -> {
            if (o.usageHelp() || o.versionHelp()) return;
            String text = String.join(" ", o.description()).replaceAll("Default: [^ ]*\\.?", "").trim();
            if (text.length() < 10) problems.add(command + " " + o.longestName() + ": no explanation in --help");
            String where = o.userObject() instanceof Field f ? f.getDeclaringClass().getSimpleName() + "." + f.getName() : String.valueOf(o.userObject());
            for (String name : o.names()) declaredBy.computeIfAbsent(name, k -> new TreeSet<>()).add(where);
        });
        declaredBy.forEach((name, where) -> {
            if (where.size() > 1 && !DECLARED_PER_COMMAND.containsKey(name)) {
                problems.add(name + " is declared " + where.size() + " times " + where + ": make it a mixin or list why in DECLARED_PER_COMMAND");
            }
        });
        DECLARED_PER_COMMAND.keySet().forEach(name -> {
            if (declaredBy.getOrDefault(name, Set.of()).size() < 2) problems.add(name + " is declared once now: drop it from DECLARED_PER_COMMAND");
        });
        assertEquals(List.of(), problems);
    }

    @Test
    void mixinsGiveEachCommandItsOwnDefaultsInHelp() {
        assertTrue(help("annotate").matches("(?s).*--max-tokens=M\\s+Most new tokens per model answer\\. Default: 2048\\..*"), help("annotate"));
        assertTrue(help("pairs").matches("(?s).*--max-tokens=M\\s+Most new tokens per model answer\\. Default: 4096\\..*"), help("pairs"));
        assertTrue(help("generate").matches("(?s).*--temperature=T\\s+Sampling temperature \\(0 = greedy\\)\\. Default: 1\\.0\\..*"), help("generate"));
        assertTrue(help("train").contains("Default: 1234."), help("train"));
        assertTrue(help("bench", "train").matches("(?s).*--threads=T\\s+Compute threads.*Default: 2\\..*"), help("bench", "train"));
    }

    @Test
    void oldNamesStillParseAsAliases() {
        AnnotateCommand annotate = parsed("annotate", "--run-dir", "r", "--judge", "j", "--rule", "dpo");
        assertEquals("dpo", annotate.rule);
        TrainCommand train = parsed("train", "--base", "b", "--data", "d", "--out", "o");
        assertEquals("o", train.out.toString());
        BenchTrainCommand bt = parsed("bench", "train", "--hidden", "96", "--seq", "32", "--threads", "3");
        assertEquals(96, bt.hidden);
        assertEquals(32, bt.seq);
        assertEquals(3, bt.threads.value());
    }

    /** Parses a command line from the root (as the launcher does) and returns the innermost command object. */
    private static <T> T parsed(String... args) {
        CommandLine root = Main.commandLine();
        List<CommandLine> chain = root.parseArgs(args).asCommandLineList();
        return chain.getLast().getCommand();
    }

    private static String help(String... path) {
        CommandLine cl = Main.commandLine();
        for (String p : path) cl = cl.getSubcommands().get(p);
        StringWriter out = new StringWriter();
        cl.usage(new PrintWriter(out), CommandLine.Help.Ansi.OFF);
        return out.toString();
    }

    private static void visit(CommandLine cl, java.util.function.BiConsumer<String, OptionSpec> each) {
        for (OptionSpec o : cl.getCommandSpec().options()) each.accept(cl.getCommandSpec().qualifiedName(), o);
        for (CommandLine sub : cl.getSubcommands().values()) visit(sub, each);
    }
}
