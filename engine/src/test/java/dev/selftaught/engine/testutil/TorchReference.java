package dev.selftaught.engine.testutil;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.selftaught.engine.infer.Transformer;
import dev.selftaught.engine.kernel.ThreadTeam;
import dev.selftaught.engine.model.LlamaWeights;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The independent PyTorch reader and forward pass of {@code tools/hf_reference_forward.py} (Debian's
 * python3-torch), and our engine's logits for the same tokens. Tests using it are skipped, with a
 * message, where /usr/bin/python3 cannot import torch; .ci/run installs python3-torch.
 */
public final class TorchReference {
    private TorchReference() {}

    private static final Path PYTHON = Path.of("/usr/bin/python3");

    /** The script, skipping the calling test where torch is missing. */
    public static Path requireTorch() throws Exception {
        Path script = Path.of(System.getProperty("user.dir")).resolve("../tools/hf_reference_forward.py").normalize();
        Assumptions.assumeTrue(Files.isExecutable(PYTHON) && Files.isRegularFile(script), "no /usr/bin/python3 or " + script);
        Process probe = command(List.of(PYTHON.toString(), "-c", "import torch")).redirectErrorStream(true).start();
        Assumptions.assumeTrue(probe.waitFor(120, TimeUnit.SECONDS) && probe.exitValue() == 0,
                "python3-torch is not installed (apt-get install -y python3-torch): the PyTorch reference is skipped");
        return script;
    }

    /** One forward pass for the script: token ids on the checkpoint in {@code dir} (+ a PEFT adapter), RoPE from the v4 or v5 fields. */
    public record Job(Path dir, int[] ids, String rope, Path adapter) {}

    /**
     * Logits [job][position][vocab] the script computes, in one process (importing torch takes
     * seconds); a job the script refuses fails the test with its message.
     */
    public static double[][][] logits(List<Job> jobs) throws Exception {
        Path script = requireTorch();
        ObjectMapper json = new ObjectMapper();
        var in = json.createArrayNode();
        for (Job j : jobs) {
            var o = in.addObject().put("dir", j.dir().toString()).put("rope", j.rope());
            var ids = o.putArray("ids");
            for (int id : j.ids()) ids.add(id);
            if (j.adapter() != null) o.put("adapter", j.adapter().toString());
        }
        Path err = Files.createTempFile("torch-ref", ".err");
        try {
            Process p = command(List.of(PYTHON.toString(), script.toString())).redirectError(err.toFile()).start();
            try (var os = p.getOutputStream()) {
                os.write(json.writeValueAsBytes(in));
            }
            byte[] out = p.getInputStream().readAllBytes();
            assertTrue(p.waitFor(600, TimeUnit.SECONDS), "reference script timed out");
            assertEquals(0, p.exitValue(), () -> "reference script failed: " + read(err));
            JsonNode results = json.readTree(new String(out, StandardCharsets.UTF_8));
            assertEquals(jobs.size(), results.size());
            double[][][] r = new double[jobs.size()][][];
            for (int k = 0; k < r.length; k++) {
                JsonNode res = results.get(k);
                final int job = k;
                assertNull(res.get("error"), () -> "reference script on " + jobs.get(job) + ": " + res.get("error").asText());
                JsonNode rows = res.get("logits");
                r[k] = new double[rows.size()][];
                for (int i = 0; i < r[k].length; i++) {
                    r[k][i] = new double[rows.get(i).size()];
                    for (int j = 0; j < r[k][i].length; j++) r[k][i][j] = rows.get(i).get(j).asDouble();
                }
            }
            return r;
        } finally {
            Files.deleteIfExists(err);
        }
    }

    /** Our engine's logits [position][vocab] for {@code ids} at positions 0.., in one prefill. */
    public static float[][] engineLogits(LlamaWeights w, int[] ids) {
        int n = ids.length, v = w.config.vocabSize();
        try (ThreadTeam team = new ThreadTeam(1)) {
            Transformer t = new Transformer(w, n, team);
            int slot = t.cache().allocate(n);
            int[] slots = new int[n], pos = new int[n], rows = new int[n];
            for (int i = 0; i < n; i++) { slots[i] = slot; pos[i] = i; rows[i] = i; }
            t.forward(n, slots, ids.clone(), pos, rows, n);
            float[][] r = new float[n][];
            for (int i = 0; i < n; i++) r[i] = java.util.Arrays.copyOfRange(t.logits(), i * v, (i + 1) * v);
            return r;
        }
    }

    /** Largest |a - b| over all positions, relative to the largest |b|. */
    public static double maxRelativeDifference(float[][] a, double[][] b) {
        double diff = 0, scale = 1e-30;
        assertEquals(b.length, a.length, "positions");
        for (int i = 0; i < a.length; i++) {
            assertEquals(b[i].length, a[i].length, "vocabulary");
            for (int j = 0; j < a[i].length; j++) {
                diff = Math.max(diff, Math.abs(a[i][j] - b[i][j]));
                scale = Math.max(scale, Math.abs(b[i][j]));
            }
        }
        return diff / scale;
    }

    /** The OpenBLAS tuning variables set on this machine are for other programs: unset them for PyTorch. */
    private static ProcessBuilder command(List<String> cmd) {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("OPENBLAS_CORETYPE");
        pb.environment().remove("OPENBLAS_L2_SIZE");
        pb.environment().put("OMP_NUM_THREADS", "1");
        return pb;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "(no stderr: " + e + ")";
        }
    }
}
