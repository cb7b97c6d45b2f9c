package dev.selftaught.engine.format;

import dev.selftaught.engine.format.hf.HfCheckpoint;
import dev.selftaught.engine.format.hf.SafetensorsWriter;
import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.model.LlamaWeights;
import dev.selftaught.engine.testutil.TorchReference;
import dev.selftaught.engine.testutil.TorchReference.Job;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Our HF checkpoints read by an independent reader — {@code tools/hf_reference_forward.py}, a
 * float64 PyTorch forward pass written from the transformers conventions (tensor names,
 * rotate-half q/k, RoPE from config.json, tied head, GQA) — give our engine's logits: F32, BF16
 * and F16 files, single and sharded, Llama (GQA, Llama-3 rope scaling, untied head) and Qwen2
 * (biases, tied head), RoPE read from the v4 fields and from the v5 rope_parameters alike; and the
 * comparison is sensitive to the rope scaling and the rotary row order.
 * Skipped where Debian's python3-torch is missing (.ci/run installs it).
 */
class HfTorchReferenceTest {
    @TempDir Path tmp;

    /** head_dim 16, theta 10^4 and original context 32: the Llama-3 scaling changes 7 of 8 frequencies at these positions. */
    static final LlamaConfig LLAMA = new LlamaConfig(64, 96, 2, 4, 2, 50, 64, 1e-5f, 10000f,
            new LlamaConfig.RopeScaling(8f, 1f, 4f, 32), false, false);
    static final LlamaConfig QWEN = new LlamaConfig(32, 40, 2, 4, 1, 36, 128, 1e-6f, 1000000f, null, true, true);
    static final int[] IDS = {1, 17, 4, 33, 29, 2, 8, 21, 5, 5, 30, 11, 0, 35, 12, 19, 7, 26, 3, 14, 22, 9, 31, 6};

    /** float32 engine against a float64 reference on the same stored values (measured: below 2e-7). */
    static final double TOLERANCE = 2e-5;

    @Test
    void pytorchReadsOurCheckpointsToOurLogitsAndSeesTheRopeScalingAndRowOrder() throws Exception {
        TorchReference.requireTorch();
        List<Job> jobs = new ArrayList<>();
        List<float[][]> ours = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (LlamaConfig c : new LlamaConfig[] {LLAMA, QWEN}) {
            LlamaWeights w = WeightsAssert.random(c, 13);
            for (SafetensorsWriter.DType dtype : SafetensorsWriter.DType.values()) {
                for (long shard : new long[] {0, 12_000}) {
                    String name = (c.qkvBias() ? "qwen2" : "llama") + "-" + dtype + (shard > 0 ? "-sharded" : "");
                    Path dir = tmp.resolve(name);
                    if (shard > 0) HfCheckpoint.write(dir, w, null, null, dtype, shard);
                    else HfCheckpoint.write(dir, w, null, null, dtype);
                    assertTrue(shard == 0 || Files.exists(dir.resolve("model.safetensors.index.json")), name + " is sharded");
                    float[][] logits = TorchReference.engineLogits(HfCheckpoint.read(dir).weights(), IDS);
                    for (String rope : new String[] {"v4", "v5"}) {
                        jobs.add(new Job(dir, IDS, rope, null));
                        ours.add(logits);
                        names.add(name + ", RoPE from the " + rope + " fields");
                    }
                }
            }
        }
        // Mutants that must NOT match: factor 1 instead of 8 (v4 and v5 fields), and q/k rows
        // stored without the rotate-half permutation. Without them, a reference that ignored
        // rope_scaling, or a writer skipping the permutation, could pass above.
        LlamaWeights w = WeightsAssert.random(LLAMA, 13);
        float[][] llama = TorchReference.engineLogits(w, IDS);
        Path unscaled = tmp.resolve("mutant-factor-1");
        HfCheckpoint.write(unscaled, w, null, null, SafetensorsWriter.DType.F32);
        Path cfg = unscaled.resolve("config.json");
        String text = Files.readString(cfg);
        assertTrue(text.contains("\"factor\" : 8.0"));
        Files.writeString(cfg, text.replace("\"factor\" : 8.0", "\"factor\" : 1.0"));
        LlamaWeights swapped = WeightsAssert.random(LLAMA, 13);
        for (int l = 0; l < LLAMA.nLayers(); l++) {
            swapped.wq[l] = RopeLayout.fromRotateHalf(w.wq[l], LLAMA.nHeads(), LLAMA.headSize(), LLAMA.dim());
            swapped.wk[l] = RopeLayout.fromRotateHalf(w.wk[l], LLAMA.nKvHeads(), LLAMA.headSize(), LLAMA.dim());
        }
        Path unpermuted = tmp.resolve("mutant-rows");
        HfCheckpoint.write(unpermuted, swapped, null, null, SafetensorsWriter.DType.F32);
        List<Job> mutants = List.of(new Job(unscaled, IDS, "v4", null), new Job(unscaled, IDS, "v5", null), new Job(unpermuted, IDS, "v4", null));
        List<Job> all = new ArrayList<>(jobs);
        all.addAll(mutants);

        double[][][] ref = TorchReference.logits(all);
        for (int k = 0; k < jobs.size(); k++) {
            double rel = TorchReference.maxRelativeDifference(ours.get(k), ref[k]);
            System.out.printf("%s: max |ours - PyTorch| = %.2e of the largest logit%n", names.get(k), rel);
            assertTrue(rel < TOLERANCE, names.get(k) + ": our logits differ from PyTorch's by " + rel);
        }
        String[] mutantNames = {"rope factor 1 instead of 8 (v4 fields)", "rope factor 1 instead of 8 (v5 fields)", "q/k rows not in rotate-half order"};
        for (int k = 0; k < mutants.size(); k++) {
            double rel = TorchReference.maxRelativeDifference(llama, ref[jobs.size() + k]);
            System.out.printf("mutant %s: max |ours - PyTorch| = %.2e%n", mutantNames[k], rel);
            assertTrue(rel > 50 * TOLERANCE, mutantNames[k] + " changes the reference logits by only " + rel);
        }
    }

    /** Real trained weights (stories260K: GQA, SentencePiece vocabulary), BF16 shards with the tokenizer files. */
    @Test
    @org.junit.jupiter.api.extension.ExtendWith(dev.selftaught.engine.testutil.SharedData.class)
    void stories260KAsBf16ShardsReadsToOurLogits() throws Exception {
        TorchReference.requireTorch();
        var original = dev.selftaught.engine.load.ModelLoader.load(dev.selftaught.engine.testutil.Stories260K.checkpoint());
        Path dir = tmp.resolve("stories260K-bf16");
        HfCheckpoint.write(dir, original.weights(), original.tokenizer(), "{{ bos_token }}", SafetensorsWriter.DType.BF16, 100_000);
        assertTrue(Files.exists(dir.resolve("model.safetensors.index.json")));
        int[] verified = dev.selftaught.engine.testutil.Stories260K.verifiedGreedyIds();
        int[] ids = new int[24];
        ids[0] = original.tokenizer().bos();
        System.arraycopy(verified, 0, ids, 1, ids.length - 1);
        float[][] ours = TorchReference.engineLogits(dev.selftaught.engine.load.ModelLoader.load(dir).weights(), ids);
        double rel = TorchReference.maxRelativeDifference(ours, TorchReference.logits(List.of(new Job(dir, ids, "v5", null)))[0]);
        System.out.printf("stories260K BF16 shards: max |ours - PyTorch| = %.2e of the largest logit%n", rel);
        assertTrue(rel < TOLERANCE, "stories260K BF16 shards: our logits differ from PyTorch's by " + rel);
    }
}
