package dev.selftaught.engine.train;

import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.model.LlamaWeights;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Loss and every gradient against PyTorch autograd (float64) on the same weights and packed
 * batch, from the golden file written by {@code tools/torch_grad_reference.py}.
 * Tolerances: loss within 1e-5 relative; each gradient element within 5e-4 of the tensor's
 * largest gradient magnitude (our float32 accumulation against a float64 reference).
 */
class TorchGoldenTest {

    /** One golden case; {@code extra} holds the lines of a golden file's own kinds (e.g. DPO's "dpo", "pair", "reference"). */
    record Case(String name, LlamaConfig config, String lora, TokenBatch batch, double loss,
                Map<String, float[]> tensors, Map<String, float[]> grads, Map<String, List<String[]>> extra) {}

    static List<Case> load() throws IOException {
        return load("/train/torch_golden.txt", List.of());
    }

    /** Reads a golden file; lines starting with one of {@code extraKinds} are kept per case, any other unknown line is an error. */
    static List<Case> load(String resource, List<String> extraKinds) throws IOException {
        List<Case> cases = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                TorchGoldenTest.class.getResourceAsStream(resource), StandardCharsets.UTF_8))) {
            String line, name = null, lora = null;
            LlamaConfig cfg = null;
            int B = 0, T = 0;
            int[][] arrays = new int[4][];
            double loss = 0;
            Map<String, float[]> tensors = new HashMap<>(), grads = new HashMap<>();
            Map<String, List<String[]>> extra = new HashMap<>();
            while ((line = r.readLine()) != null) {
                if (line.startsWith("#") || line.isBlank()) continue;
                String[] f = line.split(" ");
                switch (f[0]) {
                    case "case" -> { name = f[1]; lora = null; tensors = new HashMap<>(); grads = new HashMap<>(); extra = new HashMap<>(); }
                    case "config" -> cfg = new LlamaConfig(i(f[1]), i(f[2]), i(f[3]), i(f[4]), i(f[5]), i(f[6]), i(f[7]),
                            Float.parseFloat(f[8]), Float.parseFloat(f[9]), null, f[10].equals("1"), f[11].equals("1"));
                    case "lora" -> lora = f[1] + " " + f[2] + " " + f[3];
                    case "batch" -> { B = i(f[1]); T = i(f[2]); }
                    case "tokens" -> arrays[0] = ints(f);
                    case "targets" -> arrays[1] = ints(f);
                    case "positions" -> arrays[2] = ints(f);
                    case "segments" -> arrays[3] = ints(f);
                    case "loss" -> loss = Double.parseDouble(f[1]);
                    case "tensor" -> tensors.put(f[1], floats(f));
                    case "grad" -> grads.put(f[1], floats(f));
                    case "end" -> cases.add(new Case(name, cfg, lora,
                            new TokenBatch(B, T, arrays[0], arrays[1], arrays[2], arrays[3]), loss, tensors, grads, extra));
                    default -> {
                        if (!extraKinds.contains(f[0])) throw new IOException("unexpected line " + f[0]);
                        extra.computeIfAbsent(f[0], k -> new ArrayList<>()).add(f);
                    }
                }
            }
        }
        return cases;
    }

    static int i(String s) { return Integer.parseInt(s); }

    static int[] ints(String[] f) {
        int[] a = new int[f.length - 1];
        for (int k = 1; k < f.length; k++) a[k - 1] = Integer.parseInt(f[k]);
        return a;
    }

    static float[] floats(String[] f) {
        int n = Integer.parseInt(f[2]);
        assertEquals(n, f.length - 3);
        float[] a = new float[n];
        for (int k = 0; k < n; k++) a[k] = (float) Double.parseDouble(f[k + 3]);
        return a;
    }

    @Test
    void lossAndGradientsMatchPyTorch() throws IOException {
        List<Case> cases = load();
        assertEquals(3, cases.size());
        try (Workers w = new Workers(2)) {
            for (Case c : cases) {
                Built built = build(c, w);
                TrainingModel m = built.model();
                int n = c.batch().targetCount();
                double loss = m.forwardBackward(c.batch(), 1f / n, 0L) / n;
                assertEquals(c.loss(), loss, 1e-5 * c.loss(), c.name() + " loss");
                assertGradients(c, built);
            }
        }
    }

    /** A case's model: its weights (and LoRA adapter) in a training model. */
    record Built(TrainingModel model, LlamaWeights weights, LoraAdapter lora) {}

    static Built build(Case c, Workers w) {
        LlamaWeights weights = new LlamaWeights(c.config());
        for (Params.Param p : Params.of(weights, weights)) {
            float[] src = c.tensors().get(p.name());
            assertNotNull(src, c.name() + ": golden file lacks " + p.name());
            System.arraycopy(src, 0, p.value(), 0, src.length);
        }
        LoraAdapter lora = null;
        if (c.lora() != null) {
            String[] l = c.lora().split(" ");
            lora = new LoraAdapter(new LoraConfig(Integer.parseInt(l[0]), Float.parseFloat(l[1]), 0f, LoraConfig.parseTargets(l[2])), c.config());
            for (Params.Param p : Params.of(lora, lora)) System.arraycopy(c.tensors().get(p.name()), 0, p.value(), 0, p.value().length);
        }
        return new Built(new TrainingModel(weights, lora == null, lora, w), weights, lora);
    }

    /** Every trained tensor's gradient within 5e-4 of the tensor's largest reference gradient magnitude. */
    static void assertGradients(Case c, Built built) {
        List<Params.Param> trained = built.lora() == null ? Params.of(built.weights(), built.model().grads)
                : Params.of(built.lora(), built.model().loraGrads);
        assertEquals(c.grads().size(), trained.size(), c.name() + ": number of trained tensors");
        for (Params.Param p : trained) {
            float[] ref = c.grads().get(p.name());
            assertNotNull(ref, c.name() + ": no reference gradient for " + p.name());
            float scale = 0;
            for (float x : ref) scale = Math.max(scale, Math.abs(x));
            assertTrue(scale > 0, p.name());
            for (int k = 0; k < ref.length; k++) {
                assertEquals(ref[k], p.grad()[k], 5e-4f * scale, c.name() + " " + p.name() + "[" + k + "]");
            }
        }
    }
}
