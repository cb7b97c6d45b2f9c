package dev.selftaught.pipeline;

import dev.selftaught.data.InputError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class RunConfigTest {
    @TempDir Path dir;

    private Path write(String yaml) throws Exception {
        Path p = dir.resolve("run.yaml");
        Files.writeString(p, yaml);
        return p;
    }

    @Test
    void defaultsFollowTheMethod() throws Exception {
        RunConfig c = RunConfig.load(write("models: {seed: 'embedded:/m/seed'}\nselect: {pool: pool.jsonl}\n"));
        assertEquals(5, c.iterations());
        assertEquals(15, c.annotate().samples());
        assertEquals(0.7, c.annotate().temperature());
        assertEquals(0.9, c.annotate().topP());
        assertEquals("both", c.annotate().order());
        assertEquals("sft", c.annotate().verdictRule());
        assertTrue(c.annotate().balance());
        assertEquals("modified_instruction", c.pairs().method());
        assertEquals(0.7, c.pairs().temperature());
        assertEquals(4096, c.pairs().maxTokens());
        assertEquals(List.of("reasoning"), c.select().keepCategories());
        assertEquals("seed", c.train().init());
        assertEquals("embedded:/m/seed", c.models().annotatorSpec(), "round-1 judge defaults to the seed");
        assertEquals("embedded:/m/seed", c.models().generatorSpec());
        assertEquals("random", c.eval().order());
    }

    @Test
    void topLevelSeedFillsStageSeedsNotSetExplicitly() throws Exception {
        RunConfig c = RunConfig.load(write("seed: 42\nmodels: {seed: s}\nselect: {pool: p}\npairs: {seed: 3}\n"));
        assertEquals(42, c.select().seed());
        assertEquals(3, c.pairs().seed());
        assertEquals(42, c.annotate().seed());
    }

    @Test
    void unknownKeysAndBadValuesAreInputErrors() throws Exception {
        var e = assertThrows(InputError.class, () -> RunConfig.load(write("models: {seed: s}\nselect: {pool: p}\nannotate: {sampels: 3}\n")));
        assertTrue(e.getMessage().contains("annotate.sampels"), e.getMessage());
        Path bad = write("models: {seed: s}\nselect: {pool: p}\nannotate: {order: sideways}\n");
        e = assertThrows(InputError.class, () -> RunConfig.load(bad));
        assertEquals(bad + ":3: field 'annotate': annotate.order must be both, random or fixed; got 'sideways'", e.getMessage());
        e = assertThrows(InputError.class, () -> RunConfig.load(write("select: {pool: p}\n")));
        assertTrue(e.getMessage().contains("models.seed"), e.getMessage());
    }

    @Test
    void anUnknownKeyAnywhereNamesFileLineAndTheNearestKey() throws Exception {
        Path f = write("models: {seed: s}\nselect: {pool: p}\nannotate:\n  temperature: 0.7\n  sampels: 3\n");
        var e = assertThrows(InputError.class, () -> RunConfig.load(f));
        assertEquals(f + ":5: field 'annotate.sampels': unknown key; did you mean 'samples'?", e.getMessage());

        Path top = write("models: {seed: s}\nselect: {pool: p}\niteratoins: 2\n");
        e = assertThrows(InputError.class, () -> RunConfig.load(top));
        assertEquals(top + ":3: field 'iteratoins': unknown key; did you mean 'iterations'?", e.getMessage());

        Path far = write("models: {seed: s}\nselect: {pool: p}\npairs: {colour: red}\n");
        e = assertThrows(InputError.class, () -> RunConfig.load(far));
        assertTrue(e.getMessage().startsWith(far + ":3: field 'pairs.colour': unknown key; known keys here: max_tokens, method,"),
                e.getMessage());
    }

    @Test
    void trainMethodIsATypedValueCheckedWithFileLineAndTheNearestName() throws Exception {
        assertEquals(dev.selftaught.train.TrainMethod.SFT, RunConfig.load(write("models: {seed: s}\nselect: {pool: p}\n")).train().method(),
                "the paper's method by default");
        RunConfig c = RunConfig.load(write("models: {seed: s}\nselect: {pool: p}\nannotate: {dpo: true}\ntrain:\n  method: sft+dpo\n"));
        assertEquals(dev.selftaught.train.TrainMethod.SFT_DPO, c.train().method());
        assertTrue(c.canonicalJson().contains("\"method\":\"sft+dpo\""), "run.yaml and the hash name it as written: " + c.canonicalJson());
        Path typo = write("models: {seed: s}\nselect: {pool: p}\ntrain:\n  backend: embedded\n  method: dpp\n");
        var e = assertThrows(InputError.class, () -> RunConfig.load(typo));
        assertTrue(e.getMessage().startsWith(typo + ":5: field 'train.method': train.method must be one of sft, dpo, sft+dpo, grpo; got 'dpp'; did you mean 'dpo'?"),
                e.getMessage());
        // DPO trains on pairs annotate writes only when asked: said at the method's line, with the fix
        Path noPairs = write("models: {seed: s}\nselect: {pool: p}\ntrain:\n  method: dpo\n");
        e = assertThrows(InputError.class, () -> RunConfig.load(noPairs));
        assertEquals(noPairs + ":4: field 'train.method': method dpo trains on the DPO pairs, which annotate writes only with "
                + "annotate.dpo: true; set it", e.getMessage());
    }

    @Test
    void trainSettingsAreCheckedToo() throws Exception {
        // embedded: a misspelt learning rate is an error, not the default in disguise
        Path typo = write("models: {seed: s}\nselect: {pool: p}\ntrain:\n  settings:\n    epochs: 2\n    lr_: 1.0e-5\n");
        var e = assertThrows(InputError.class, () -> RunConfig.load(typo));
        assertEquals(typo + ":6: field 'train.settings.lr_': unknown training setting; did you mean 'lr'?", e.getMessage());
        Path epoch = write("models: {seed: s}\nselect: {pool: p}\ntrain: {settings: {epoch: 2}}\n");
        e = assertThrows(InputError.class, () -> RunConfig.load(epoch));
        assertTrue(e.getMessage().contains("'train.settings.epoch': unknown training setting; did you mean 'epochs'?"), e.getMessage());
        // and a value of the wrong type names the setting
        Path type = write("models: {seed: s}\nselect: {pool: p}\ntrain:\n  settings: {epochs: two}\n");
        e = assertThrows(InputError.class, () -> RunConfig.load(type));
        assertTrue(e.getMessage().startsWith(type + ":4: field 'train.settings'") && e.getMessage().contains("epochs must be an integer"),
                e.getMessage());
        // external: a setting the command never uses is a typo or a leftover
        Path unused = write("models: {seed: s}\nselect: {pool: p}\ntrain:\n  backend: external\n"
                + "  command: 'x {data} --lr {setting.lr}'\n  settings:\n    lr: 1.0e-6\n    lrr: 2\n");
        e = assertThrows(InputError.class, () -> RunConfig.load(unused));
        assertEquals(unused + ":8: field 'train.settings.lrr': train.command never uses it (no {setting.lrr} in the command); "
                + "use it there or remove it", e.getMessage());
        // every known setting passes
        assertEquals(0.5, ((Number) RunConfig.load(write("models: {seed: s}\nselect: {pool: p}\n"
                + "train: {settings: {lr: 0.5, truncation: cut_end, max_seq_len: 64}}\n")).train().settings().get("lr")).doubleValue());
    }

    @Test
    void overridesAndHashes() throws Exception {
        Path p = write("models: {seed: s}\nselect: {pool: p}\ntrain: {backend: external, command: 'x {data} {setting.lr}', settings: {lr: 1.0e-6}}\n");
        RunConfig a = RunConfig.load(p);
        RunConfig b = RunConfig.load(p, List.of("iterations=2")).config();
        assertEquals(2, b.iterations());
        assertNotEquals(a.hash(), b.hash());
        assertEquals(a.hash(), RunConfig.load(p).hash());
        assertEquals(1.0e-6, ((Number) a.train().settings().get("lr")).doubleValue());
    }

    @Test
    void evalTemplateDefaultsToTheAnnotateTemplateAndCanBeSet() throws Exception {
        RunConfig none = RunConfig.load(write("models: {seed: s}\nselect: {pool: p}\n"));
        assertNull(none.eval().template(), "neither set: pair-v2");
        assertEquals(dev.selftaught.eval.JudgePrompts.pairV2().describe(),
                new BenchmarkEvaluator(none.eval(), 1, null).options().prompts().describe());

        RunConfig inherited = RunConfig.load(write("models: {seed: s}\nselect: {pool: p}\nannotate: {template: eval-plan}\n"));
        assertEquals("eval-plan", inherited.eval().template(), "evaluated on the prompt the rounds are trained on");
        assertEquals(dev.selftaught.eval.JudgePrompts.evalPlan().describe(),
                new BenchmarkEvaluator(inherited.eval(), 1, null).options().prompts().describe());

        RunConfig explicit = RunConfig.load(write("models: {seed: s}\nselect: {pool: p}\nannotate: {template: eval-plan}\n"
                + "eval: {template: pair-v2}\n"));
        assertEquals("pair-v2", explicit.eval().template());
        assertEquals("eval-plan", explicit.annotate().template(), "annotation keeps its own template");
        assertEquals(dev.selftaught.eval.JudgePrompts.pairV2().describe(),
                new BenchmarkEvaluator(explicit.eval(), 1, null).options().prompts().describe());
        // the template decides the result, so it is part of the evaluation's recorded inputs
        assertNotEquals(new BenchmarkEvaluator(inherited.eval(), 1, null).inputsHash("bench.jsonl"),
                new BenchmarkEvaluator(explicit.eval(), 1, null).inputsHash("bench.jsonl"));
        assertNotEquals(inherited.hash(), explicit.hash());
    }

    @Test
    void theShippedExampleLoads() {
        Path example = Path.of(System.getProperty("user.dir")).resolve("../examples/run.yaml");
        RunConfig c = RunConfig.load(example);
        // Compare with the file read independently, on keys whose example values differ from the
        // defaults, so a loader that ignored the file would fail here.
        com.fasterxml.jackson.databind.JsonNode y;
        try {
            y = new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
                    .readTree(example.toFile());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertEquals(y.at("/iterations").asInt(), c.iterations());
        assertEquals(y.at("/models/seed").asText(), c.models().seed());
        assertEquals(y.at("/select/pool").asText(), c.select().pool());
        assertEquals("external", y.at("/train/backend").asText(), "the example should show the external trainer");
        assertEquals(y.at("/train/backend").asText(), c.train().backend());
        assertEquals(y.at("/train/command").asText(), c.train().command());
        assertEquals(y.at("/train/settings/lr").asDouble(), ((Number) c.train().settings().get("lr")).doubleValue());
    }

    @Test
    void theServeBlockIsTypedCheckedAndLeftOutOfTheHash() throws Exception {
        String base = "models: {seed: s}\nselect: {pool: p}\n";
        RunConfig plain = RunConfig.load(write(base));
        assertTrue(plain.serve().isStatic(), "static by default");
        RunConfig c = RunConfig.load(write(base + "serve:\n  mode: launch\n  command: 'vllm serve {model} --port {port}'\n  replicas: 2\n"
                + "  env: {CUDA_VISIBLE_DEVICES: '{replica}'}\n"));
        assertEquals("launch", c.serve().mode());
        assertEquals(2, c.serve().replicas());
        assertEquals("{replica}", c.serve().env().get("CUDA_VISIBLE_DEVICES"));
        assertEquals(plain.hash(), c.hash(), "how checkpoints are served does not change the results");
        assertTrue(c.canonicalJson().contains("\"replicas\":2"), "run.yaml still shows it");

        Path typo = write(base + "serve:\n  mode: launch\n  comand: x\n");
        var e = assertThrows(InputError.class, () -> RunConfig.load(typo));
        assertEquals(typo + ":5: field 'serve.comand': unknown key; did you mean 'command'?", e.getMessage());
        e = assertThrows(InputError.class, () -> RunConfig.load(write(base + "serve: {mode: lauch}\n")));
        assertTrue(e.getMessage().contains("serve.mode must be static, launch or lora") && e.getMessage().contains("launch"), e.getMessage());
        e = assertThrows(InputError.class, () -> RunConfig.load(write(base + "serve: {mode: launch}\n")));
        assertTrue(e.getMessage().contains("serve.command is required"), e.getMessage());
        e = assertThrows(InputError.class, () -> RunConfig.load(write(base + "serve: {mode: launch, command: 'vllm serve {model}'}\n")));
        assertTrue(e.getMessage().contains("never uses {port}"), e.getMessage());
        e = assertThrows(InputError.class, () -> RunConfig.load(write(base + "serve: {mode: lora}\n")));
        assertTrue(e.getMessage().contains("serve.command") && e.getMessage().contains("serve.endpoints"), e.getMessage());
        e = assertThrows(InputError.class, () -> RunConfig.load(write(base + "serve: {mode: launch, command: 'x {port}', replicas: 0, env: {'A-B': x}}\n")));
        assertTrue(e.getMessage().contains("not an environment variable name"), e.getMessage());
    }
}
