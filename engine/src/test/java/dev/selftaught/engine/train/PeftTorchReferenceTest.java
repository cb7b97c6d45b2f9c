package dev.selftaught.engine.train;

import dev.selftaught.engine.format.hf.HfCheckpoint;
import dev.selftaught.engine.format.hf.SafetensorsFile;
import dev.selftaught.engine.format.hf.SafetensorsWriter;
import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.model.LlamaWeights;
import dev.selftaught.engine.testutil.TorchReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A PEFT adapter we write, applied the PEFT way by the independent PyTorch reader
 * ({@code tools/hf_reference_forward.py --adapter}: tensor {@code base_model.model.<module>.lora_A.weight}
 * for every module named in target_modules, W + lora_alpha/r · B·A) onto the base checkpoint we
 * write, gives the logits of our engine on the merged model. Skipped without python3-torch.
 */
class PeftTorchReferenceTest {
    @TempDir Path tmp;

    static final LlamaConfig MODEL = new LlamaConfig(64, 96, 2, 8, 2, 50, 64, 1e-5f, 500000f,
            new LlamaConfig.RopeScaling(8f, 1f, 4f, 8192), false, false);
    static final int[] IDS = {1, 17, 4, 33, 29, 2, 8, 21, 5, 30, 11, 0};

    @Test
    void pytorchAppliesOurAdapterToOurBaseAsWeMergeIt() throws Exception {
        TorchReference.requireTorch();
        LlamaWeights base = new LlamaWeights(MODEL).initRandom(3);
        Path baseDir = tmp.resolve("base");
        HfCheckpoint.write(baseDir, base, null, null, SafetensorsWriter.DType.F32);
        // Every target, q and k included (their lora_B rows are stored in HF's rotary order).
        var cfg = new LoraConfig(4, 12f, 0.05f, EnumSet.allOf(LoraConfig.Target.class));
        LoraAdapter a = new LoraAdapter(cfg, MODEL).initRandom(5);
        Random r = new Random(11);
        for (float[][] perTarget : a.b) for (float[] m : perTarget) for (int i = 0; i < m.length; i++) m[i] = (float) (0.05 * r.nextGaussian());
        Path adapterDir = tmp.resolve("adapter");
        PeftAdapter.write(adapterDir, a, PeftAdapter.baseModelName(baseDir));
        try (SafetensorsFile f = SafetensorsFile.open(adapterDir.resolve(PeftAdapter.WEIGHTS))) {
            assertEquals(2 * 7 * MODEL.nLayers(), f.tensors().size());
            for (String name : f.tensors().keySet()) {
                assertTrue(name.matches("base_model\\.model\\.model\\.layers\\.\\d+\\.(self_attn|mlp)\\.[a-z]+_proj\\.lora_[AB]\\.weight"), name);
                assertFalse(name.contains(".default."), "no adapter name inside saved tensor names: " + name);
                assertEquals("F32", f.tensors().get(name).dtype());
            }
        }
        float[][] merged = TorchReference.engineLogits(a.mergeInto(base), IDS);
        float[][] plain = TorchReference.engineLogits(base, IDS);
        double[][] ref = TorchReference.logits(java.util.List.of(new TorchReference.Job(baseDir, IDS, "v4", adapterDir)))[0];
        double rel = TorchReference.maxRelativeDifference(merged, ref);
        double effect = TorchReference.maxRelativeDifference(plain, ref);
        System.out.printf("adapter: max |ours merged - PyTorch base+adapter| = %.2e; the adapter itself moves the logits by %.2e%n", rel, effect);
        assertTrue(rel < 2e-5, "our merged model and PyTorch's base+adapter differ by " + rel);
        assertTrue(effect > 1e-2, "the adapter must change the logits for the comparison to mean anything: " + effect);
    }
}
