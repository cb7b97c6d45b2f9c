package dev.selftaught.pipeline;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.selftaught.data.InputError;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The {@code run --config FILE} configuration. The YAML is laid over {@link #defaults()} key by
 * key, so every key is optional except {@code models.seed} and {@code select.pool}; unknown keys
 * are an error (a typo must not silently fall back to a default). Every key is documented in
 * docs/pipeline.md.
 */
public record RunConfig(long seed, int iterations, int concurrency, Models models, SelectSettings select,
                        PairsSettings pairs, AnnotateSettings annotate, TrainSettings train, EvalSettings eval,
                        ServeSettings serve) {

    /**
     * Model specs ({@code embedded:PATH}, {@code http://host/v1#name}, ...).
     *
     * @param seed        M0: the model every round is fine-tuned from, and round 0 of the report
     * @param generator   writes y_w, x' and y_l (the method: Mixtral); default = seed
     * @param categorizer categorises instructions; default = generator
     * @param annotator   the round-1 judge (the method: Mixtral); default = seed
     */
    public record Models(String seed, String generator, String categorizer, String annotator) {
        public String generatorSpec() { return blank(generator) ? seed : generator; }
        public String categorizerSpec() { return blank(categorizer) ? generatorSpec() : categorizer; }
        public String annotatorSpec() { return blank(annotator) ? seed : annotator; }
    }

    /**
     * @param validation  pairwise validation file for checkpoint selection (null = take the trainer's final model)
     * @param benchmarks  test benchmarks (names or files) evaluated for every round
     * @param order       random (RewardBench protocol, default), both or fixed
     * @param samples     judgments per item (1 = one greedy call; more = majority vote)
     * @param temperature sampling temperature of evaluation calls (RewardBench: 0)
     * @param maxTokens   most tokens per evaluation judgment
     * @param seed        seed of the random A/B order
     * @param evaluateSeed evaluate the seed model as round 0
     * @param baselines   other judges evaluated once on the same benchmarks (name → model spec)
     * @param template    judge template of every evaluation (pair-v2, eval-plan or a template file); null in
     *                    the file means the annotate stage's template, so a judge is evaluated on the prompt
     *                    it was trained on ({@link RunConfig} fills it in)
     */
    public record EvalSettings(String validation, List<String> benchmarks, String order, int samples, double temperature,
                               int maxTokens, long seed, boolean evaluateSeed, Map<String, String> baselines,
                               String template) {
        // The defaults, defined once (the constructor and defaults() use them).
        public static final String ORDER = "random";
        public static final int SAMPLES = 1;
        public static final double TEMPERATURE = 0.0;
        public static final int MAX_TOKENS = 2048;
        public static final long SEED = 1;

        public EvalSettings {
            benchmarks = benchmarks == null ? List.of() : List.copyOf(benchmarks);
            baselines = baselines == null ? Map.of() : Map.copyOf(baselines);
            if (order == null) order = ORDER;
            if (samples <= 0) samples = SAMPLES;
            if (maxTokens <= 0) maxTokens = MAX_TOKENS;
        }

        /** Every default: no validation set, no benchmarks, the seed evaluated as round 0, no baselines. */
        public static EvalSettings defaults() {
            return new EvalSettings(null, List.of(), ORDER, SAMPLES, TEMPERATURE, MAX_TOKENS, SEED, true, Map.of(), null);
        }

        /**
         * The settings that decide an evaluation's result (baselines and the seed flag do not). The
         * template is left out: the evaluator hashes its content (a moved file is the same template).
         */
        public EvalSettings withoutBaselines() {
            return new EvalSettings(null, List.of(), order, samples, temperature, maxTokens, seed, true, Map.of(), null);
        }

        /** The same settings evaluating with another judge template. */
        public EvalSettings withTemplate(String t) {
            return new EvalSettings(validation, benchmarks, order, samples, temperature, maxTokens, seed, evaluateSeed, baselines, t);
        }
    }

    /** Top-level defaults: base seed, rounds (the method: 5), model calls in flight. */
    public static final long SEED = 1;
    public static final int ITERATIONS = 5;
    public static final int CONCURRENCY = 8;

    public RunConfig {
        if (iterations < 0) throw new InputError("iterations must be >= 0, got " + iterations);
        if (concurrency <= 0) concurrency = CONCURRENCY;
        if (models == null || blank(models.seed())) {
            throw new InputError("models.seed is required: the model spec every round is trained from");
        }
        if (serve == null) serve = ServeSettings.defaults();
        if (select == null || blank(select.pool())) {
            throw new InputError("select.pool is required: the instruction pool file");
        }
        // eval.template unset: evaluate with the prompt the rounds are trained on (annotate.template).
        if (eval != null && blank(eval.template()) && annotate != null && !blank(annotate.template())) {
            eval = eval.withTemplate(annotate.template());
        }
    }

    private static boolean blank(String s) { return s == null || s.isBlank(); }

    static final ObjectMapper YAML = YAMLMapper.builder(new YAMLFactory())
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
            .build();

    /** The defaults as a tree (seed and pool left empty). */
    static ObjectNode defaultsTree() {
        ObjectNode root = YAML.createObjectNode();
        root.put("seed", SEED);
        root.put("iterations", ITERATIONS);
        root.put("concurrency", CONCURRENCY);
        ObjectNode models = root.putObject("models");
        models.putNull("seed");
        models.putNull("generator");
        models.putNull("categorizer");
        models.putNull("annotator");
        root.set("select", YAML.valueToTree(SelectSettings.defaults(null)));
        root.set("pairs", YAML.valueToTree(PairsSettings.defaults()));
        root.set("annotate", YAML.valueToTree(AnnotateSettings.defaults()));
        root.set("train", YAML.valueToTree(TrainSettings.defaults()));
        root.set("eval", YAML.valueToTree(EvalSettings.defaults()));
        root.set("serve", YAML.valueToTree(ServeSettings.defaults()));
        return root;
    }

    /** A loaded config and the secret values substituted into it (masked when written out). */
    public record Loaded(RunConfig config, java.util.Set<String> secrets) {
        /** The resolved configuration as YAML with secrets masked, for RUN/run.yaml. */
        public String redactedYaml() {
            return dev.selftaught.config.ConfigLoader.toYaml(
                    dev.selftaught.config.Redact.config(PipelineIo.JSON.valueToTree(config), secrets));
        }
    }

    /** Reads and validates a YAML (or JSON) config file; relative paths stay relative to the working directory. */
    public static RunConfig load(Path file) {
        return load(file, List.of()).config();
    }

    /**
     * Reads a config with the data package's loader (${VAR} substitution, duplicate-key and
     * located errors, {@code KEY.PATH=VALUE} overrides), lays it over the defaults and binds it.
     */
    public static Loaded load(Path file, List<String> overrides) {
        var loaded = dev.selftaught.config.ConfigLoader.loadResolved(file, ObjectNode.class, System::getenv, overrides);
        return new Loaded(fromTree(file, loaded.tree(), loaded::lineOf), loaded.secrets());
    }

    /** Where a key path is in the config file (0: unknown, e.g. a command-line override). */
    interface KeyLines { int lineOf(String path); }

    static RunConfig fromTree(Path file, ObjectNode user, KeyLines lines) {
        ObjectNode merged = defaultsTree();
        merge(merged, user, "", file, lines);
        // A seed given at top level is the default for every stage seed the user did not set.
        if (user.has("seed")) {
            long s = user.get("seed").asLong();
            for (String sec : List.of("select", "pairs", "annotate", "eval")) {
                if (!user.path(sec).has("seed")) ((ObjectNode) merged.get(sec)).put("seed", s);
            }
        }
        RunConfig c;
        try {
            c = YAML.treeToValue(merged, RunConfig.class);
        } catch (UnrecognizedPropertyException e) {
            throw InputError.at(file, lines.lineOf(path(e)), path(e), "unknown key; see docs/pipeline.md for the keys");
        } catch (com.fasterxml.jackson.databind.JsonMappingException e) {
            // a value a settings record refuses (annotate.order: sideways): its message, at the block's line
            String p = path(e);
            String problem = e.getCause() instanceof InputError ie ? ie.getMessage()
                    : e.getOriginalMessage().lines().findFirst().orElse("invalid value");
            throw InputError.at(file, lines.lineOf(p), p.isEmpty() ? null : p, problem);
        } catch (IOException e) {
            throw new InputError(file + ": " + e.getMessage().lines().findFirst().orElse(""), e);
        }
        checkTrainSettings(c.train(), file, lines);
        if (c.train().method().usesPreferences() && !c.annotate().dpo()) {
            throw InputError.at(file, lines.lineOf("train.method"), "train.method", "method " + c.train().method()
                    + " trains on the DPO pairs, which annotate writes only with annotate.dpo: true; set it");
        }
        return c;
    }

    /**
     * {@code train.settings} is checked like every other block: for the embedded trainer against
     * its typed settings (names and value types); for an external command, every setting must be
     * used by it as {@code {setting.NAME}}, since one it never reads is a typo or a leftover.
     */
    private static void checkTrainSettings(TrainSettings t, Path file, KeyLines lines) {
        boolean grpo = t.method() == dev.selftaught.train.TrainMethod.GRPO;
        List<String> known = grpo ? dev.selftaught.train.GrpoSettings.KEYS : dev.selftaught.train.EmbeddedTrainSettings.KEYS;
        for (String key : t.settings().keySet()) {
            String path = "train.settings." + key;
            if (t.backend().equals("embedded") && !known.contains(key)) {
                throw InputError.at(file, lines.lineOf(path), path, "unknown " + (grpo ? "GRPO " : "") + "training setting"
                        + dev.selftaught.data.DidYouMean.hint(key, known));
            }
            if (t.backend().equals("external") && (t.command() == null || !t.command().contains("{setting." + key + "}"))) {
                throw InputError.at(file, lines.lineOf(path), path, "train.command never uses it (no {setting." + key
                        + "} in the command); use it there or remove it");
            }
        }
        if (t.backend().equals("embedded")) {
            try {
                if (grpo) dev.selftaught.train.GrpoSettings.from(t.settings());
                else dev.selftaught.train.EmbeddedTrainSettings.from(t.settings());
            } catch (InputError e) {
                throw InputError.at(file, lines.lineOf("train.settings"), "train.settings", e.getMessage());
            }
        }
    }

    private static String path(com.fasterxml.jackson.databind.JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (var ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (!sb.isEmpty()) sb.append('.');
                sb.append(ref.getFieldName());
            }
        }
        return sb.toString();
    }

    /**
     * Lays {@code over} onto {@code base}; objects merge key by key, everything else replaces. A key
     * the defaults do not have is an error naming the file, the line and the nearest known key
     * ({@code train.settings} is checked after binding, {@code eval.baselines} holds free names).
     */
    private static void merge(ObjectNode base, JsonNode over, String prefix, Path file, KeyLines lines) {
        for (var e : over.properties()) {
            String key = e.getKey();
            JsonNode b = base.get(key);
            if (b == null && !base.has(key) && !(prefix.equals("train.settings.") || prefix.equals("eval.baselines.") || prefix.equals("serve.env."))) {
                List<String> known = new java.util.ArrayList<>();
                base.fieldNames().forEachRemaining(known::add);
                throw InputError.at(file, lines.lineOf(prefix + key), prefix + key,
                        "unknown key" + dev.selftaught.data.DidYouMean.hint(key, known));
            }
            if (b != null && b.isObject() && e.getValue().isObject()) {
                merge((ObjectNode) b, e.getValue(), prefix + key + ".", file, lines);
            } else {
                base.set(key, e.getValue());
            }
        }
    }

    /** The resolved config as canonical JSON, for run.yaml and the config hash. */
    public String canonicalJson() {
        try {
            return PipelineIo.JSON.writeValueAsString(PipelineIo.JSON.valueToTree(this));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The config's hash, over everything that decides the run's results: the {@code serve} block is
     * left out (how the same checkpoints are served does not change them), so switching a finished
     * run from static to launched servers keeps its stages done.
     */
    public String hash() {
        try {
            ObjectNode tree = PipelineIo.JSON.valueToTree(this);
            tree.remove("serve");
            return PipelineIo.sha256(PipelineIo.JSON.writeValueAsString(tree));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

}
