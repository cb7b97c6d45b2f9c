package dev.selftaught.engine.train;

import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.model.LlamaWeights;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The GRPO objective's gradient (clipped ratio, k3 KL term, per-sequence token weights, prompt
 * tokens masked) against PyTorch autograd on the same weights and batch, from the golden file
 * {@code tools/torch_grpo_reference.py} writes. The Java side is {@link GrpoLoss} through
 * {@link TrainingModel#forwardBackward(TokenBatch, TokenObjective, long)}, i.e. the trainer's own
 * forward and backward. Tolerances as in {@link TorchGoldenTest}.
 */
class GrpoTorchGoldenTest {

    private static double[] doubles(String[] f) {
        double[] a = new double[f.length - 1];
        for (int k = 1; k < f.length; k++) a[k - 1] = f[k].equals("nan") ? Double.NaN : Double.parseDouble(f[k]);
        return a;
    }

    @Test
    void grpoGradientsMatchPyTorch() throws IOException {
        int cases = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                GrpoTorchGoldenTest.class.getResourceAsStream("/train/torch_grpo_golden.txt"), StandardCharsets.UTF_8));
             Workers w = new Workers(2)) {
            String line, name = null, lora = null;
            LlamaConfig cfg = null;
            int B = 0, T = 0, clippedRef = -1;
            int[][] arrays = new int[4][];
            double objective = 0, eps = 0, beta = 0;
            Map<String, double[]> per = new HashMap<>();
            Map<String, float[]> tensors = new HashMap<>(), grads = new HashMap<>();
            while ((line = r.readLine()) != null) {
                if (line.startsWith("#") || line.isBlank()) continue;
                String[] f = line.split(" ");
                switch (f[0]) {
                    case "case" -> { name = f[1]; lora = null; tensors = new HashMap<>(); grads = new HashMap<>(); per = new HashMap<>(); }
                    case "config" -> cfg = new LlamaConfig(TorchGoldenTest.i(f[1]), TorchGoldenTest.i(f[2]), TorchGoldenTest.i(f[3]),
                            TorchGoldenTest.i(f[4]), TorchGoldenTest.i(f[5]), TorchGoldenTest.i(f[6]), TorchGoldenTest.i(f[7]),
                            Float.parseFloat(f[8]), Float.parseFloat(f[9]), null, f[10].equals("1"), f[11].equals("1"));
                    case "lora" -> lora = f[1] + " " + f[2] + " " + f[3];
                    case "batch" -> { B = TorchGoldenTest.i(f[1]); T = TorchGoldenTest.i(f[2]); }
                    case "tokens" -> arrays[0] = TorchGoldenTest.ints(f);
                    case "targets" -> arrays[1] = TorchGoldenTest.ints(f);
                    case "positions" -> arrays[2] = TorchGoldenTest.ints(f);
                    case "segments" -> arrays[3] = TorchGoldenTest.ints(f);
                    case "grpo" -> { eps = Double.parseDouble(f[1]); beta = Double.parseDouble(f[2]); }
                    case "logp", "old", "ref", "adv", "weight" -> per.put(f[0], doubles(f));
                    case "objective" -> objective = Double.parseDouble(f[1]);
                    case "clipped" -> clippedRef = TorchGoldenTest.i(f[1]);
                    case "tensor" -> tensors.put(f[1], TorchGoldenTest.floats(f));
                    case "grad" -> grads.put(f[1], TorchGoldenTest.floats(f));
                    case "end" -> {
                        check(name, cfg, lora, new TokenBatch(B, T, arrays[0], arrays[1], arrays[2], arrays[3]), new GrpoLoss(eps, beta),
                                per, objective, clippedRef, tensors, grads, w);
                        cases++;
                    }
                    default -> throw new IOException("unexpected line " + f[0]);
                }
            }
        }
        assertEquals(2, cases);
    }

    private static void check(String name, LlamaConfig cfg, String loraSpec, TokenBatch batch, GrpoLoss loss, Map<String, double[]> per,
                              double objective, int clippedRef, Map<String, float[]> tensors, Map<String, float[]> grads, Workers w) {
        LlamaWeights weights = new LlamaWeights(cfg);
        for (Params.Param p : Params.of(weights, weights)) System.arraycopy(tensors.get(p.name()), 0, p.value(), 0, p.value().length);
        LoraAdapter lora = null;
        if (loraSpec != null) {
            String[] l = loraSpec.split(" ");
            lora = new LoraAdapter(new LoraConfig(Integer.parseInt(l[0]), Float.parseFloat(l[1]), 0f, LoraConfig.parseTargets(l[2])), cfg);
            for (Params.Param p : Params.of(lora, lora)) System.arraycopy(tensors.get(p.name()), 0, p.value(), 0, p.value().length);
        }
        TrainingModel m = new TrainingModel(weights, lora == null, lora, w);
        double[] old = per.get("old"), ref = per.get("ref"), adv = per.get("adv"), wt = per.get("weight"), lpRef = per.get("logp");
        double[] lp = m.forwardBackward(batch, (n, x) -> loss.gradient(x, old[n], ref[n], adv[n], wt[n]), 0L);
        double total = 0;
        int clipped = 0;
        for (int n = 0; n < lp.length; n++) {
            assertEquals(Double.isNaN(lpRef[n]), Double.isNaN(lp[n]), name + ": masked positions at " + n);
            if (Double.isNaN(lp[n])) continue;
            assertEquals(lpRef[n], lp[n], 1e-5 * Math.max(1, Math.abs(lpRef[n])), name + " log p[" + n + "]");
            total += loss.value(lp[n], old[n], ref[n], adv[n], wt[n]);
            if (loss.clipped(lp[n], old[n], adv[n])) clipped++;
        }
        assertEquals(objective, total, 1e-5 * Math.max(1, Math.abs(objective)), name + " objective");
        assertEquals(clippedRef, clipped, name + ": clipped tokens");
        assertTrue(clipped > 0 && clipped < lp.length / 2, name + ": the case must exercise both branches, clipped " + clipped);
        List<Params.Param> trained = lora == null ? Params.of(weights, m.grads) : Params.of(lora, m.loraGrads);
        assertEquals(grads.size(), trained.size(), name + ": trained tensors");
        for (Params.Param p : trained) {
            float[] g = grads.get(p.name());
            assertNotNull(g, name + ": no reference gradient for " + p.name());
            float scale = 0;
            for (float x : g) scale = Math.max(scale, Math.abs(x));
            assertTrue(scale > 0, p.name());
            for (int k = 0; k < g.length; k++) assertEquals(g[k], p.grad()[k], 5e-4f * scale, name + " " + p.name() + "[" + k + "]");
        }
    }
}
