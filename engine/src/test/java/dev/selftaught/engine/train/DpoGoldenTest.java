package dev.selftaught.engine.train;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The DPO(+NLL) loss and every gradient against PyTorch autograd (float64), from the golden file
 * written by {@code tools/torch_dpo_reference.py}: one packed batch of two preference pairs, given
 * reference log-probabilities, full fine-tuning with the NLL term and LoRA (tied embeddings) without
 * it. Same tolerances as {@link TorchGoldenTest}.
 */
class DpoGoldenTest {

    @Test
    void lossAndGradientsMatchPyTorch() throws IOException {
        List<TorchGoldenTest.Case> cases = TorchGoldenTest.load("/train/torch_dpo_golden.txt", List.of("dpo", "pair", "reference"));
        assertEquals(2, cases.size());
        try (Workers w = new Workers(2)) {
            for (TorchGoldenTest.Case c : cases) {
                String[] dpo = c.extra().get("dpo").getFirst();
                List<String[]> pairLines = c.extra().get("pair");
                String[] refLine = c.extra().get("reference").getFirst();
                int pairs = pairLines.size();
                int[] ids = new int[pairs], chosen = new int[pairs], rejected = new int[pairs];
                for (int k = 0; k < pairs; k++) {
                    ids[k] = k;
                    chosen[k] = Integer.parseInt(pairLines.get(k)[1]);
                    rejected[k] = Integer.parseInt(pairLines.get(k)[2]);
                }
                double[] reference = new double[2 * pairs];
                for (int k = 0; k < reference.length; k++) reference[k] = Double.parseDouble(refLine[k + 1]);
                DpoPlan.Batch batch = new DpoPlan.Batch(c.batch(), ids, chosen, rejected);
                DpoObjective objective = new DpoObjective(DpoPlan.ofBatches(List.of(batch), pairs), reference,
                        Double.parseDouble(dpo[1]), Double.parseDouble(dpo[2]));

                TorchGoldenTest.Built built = TorchGoldenTest.build(c, w);
                double loss = objective.forwardBackward(built.model(), 0, pairs, 0L) / pairs;
                assertEquals(c.loss(), loss, 1e-5 * Math.abs(c.loss()), c.name() + " loss");
                TorchGoldenTest.assertGradients(c, built);
                // the no-gradient evaluation agrees with the training pass
                assertEquals(c.loss(), objective.evaluate(built.model())[0], 1e-5 * Math.abs(c.loss()), c.name() + " evaluate");
            }
        }
    }
}
