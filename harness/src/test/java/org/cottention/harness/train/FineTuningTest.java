package org.cottention.harness.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.cottention.api.AttentionKind;
import org.cottention.api.Nd;
import org.cottention.harness.attention.AttentionRegistry;
import org.cottention.harness.data.batch.ByteText;
import org.cottention.kernels.OneThread;
import org.cottention.models.BertClassifier;
import org.cottention.models.BertPreTraining;
import org.cottention.models.ClassificationBatch;
import org.cottention.models.ModelConfig;
import org.cottention.models.Pass;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * GLUE-style fine-tuning path: a pre-training checkpoint's encoder loads into a classifier by name, and the
 * classifier learns a synthetic task (label 1 iff the sequence contains byte 'z') with both attentions, scored by
 * accuracy, F1 and Matthews correlation on held-out batches.
 */
@ExtendWith(OneThread.class)
class FineTuningTest {
    static final int SEQ = 16, BATCH = 16;

    static ClassificationBatch batch(long index) {
        SplittableRandom rng = new SplittableRandom(Pass.seedFor(77, index));
        int[][] ids = new int[BATCH][SEQ];
        float[][] mask = new float[BATCH][SEQ];
        int[] labels = new int[BATCH];
        for (int i = 0; i < BATCH; i++) {
            int len = 4 + rng.nextInt(SEQ - 4);
            labels[i] = rng.nextInt(2);
            ids[i][0] = ByteText.CLS;
            for (int t = 1; t < SEQ; t++) ids[i][t] = t < len ? 'a' + rng.nextInt(25) : ByteText.PAD;   // a..y
            if (labels[i] == 1) ids[i][1 + rng.nextInt(len - 1)] = 'z';
            for (int t = 0; t < len; t++) mask[i][t] = 1;
        }
        return new ClassificationBatch(ids, null, mask, labels);
    }

    @ParameterizedTest
    @EnumSource(AttentionKind.class)
    void classifierLearnsAndLoadsAPretrainedEncoder(AttentionKind kind, @TempDir Path dir) throws Exception {
        ModelConfig c = ModelConfig.bert(ByteText.BERT_VOCAB, 32, 2, 4, 64, SEQ).withPadTokenId(ByteText.PAD);
        var attention = AttentionRegistry.defaultFor(kind, false).create(false, 16);

        BertPreTraining pre = new BertPreTraining(c, attention, 1);
        AdamW preOpt = new AdamW(pre.parameters(), AdamW.Config.reference());
        Checkpoint.save(dir, pre.parameters(), preOpt, new Checkpoint.State(0, 0, Map.of(), List.of("step")));
        BertClassifier model = new BertClassifier(c, attention, 2, 2);
        List<String> copied = Checkpoint.restoreMatching(Checkpoint.loadLatest(dir), model.parameters());
        assertEquals(model.parameters().list().size() - 2, copied.size(), "all but the new classifier layer: " + copied);
        assertArrayEqualsExact(pre.parameters().get("bert.encoder.layer.1.output.dense.weight"),
                model.parameters().get("bert.encoder.layer.1.output.dense.weight"));

        List<ClassificationBatch> heldOut = new ArrayList<>();
        for (int i = 0; i < 4; i++) heldOut.add(batch(-1 - i));
        Trainer.Settings s = new Trainer.Settings(150, 1, 2e-3, new LinearSchedule(15, 150, true), 0,
                AdamW.Config.reference(), 3, 1000, 0, 1000);
        new Trainer<>(model, FineTuningTest::batch, heldOut, s, Map.of(), null, null, new PrintStream(new ByteArrayOutputStream()))
                .run(false, Long.MAX_VALUE);
        List<Integer> predicted = new ArrayList<>(), truth = new ArrayList<>();
        for (ClassificationBatch b : heldOut) {
            for (int p : model.predict(b)) predicted.add(p);
            for (int y : b.labels()) truth.add(y);
        }
        ClassificationMetrics m = ClassificationMetrics.of(predicted.stream().mapToInt(Integer::intValue).toArray(),
                truth.stream().mapToInt(Integer::intValue).toArray(), 2);
        assertEquals(64, m.count());
        assertTrue(m.accuracy() > 0.8 && m.f1() > 0.75 && m.matthews() > 0.6, kind + ": " + m);
    }

    private static void assertArrayEqualsExact(org.cottention.models.Parameter a, org.cottention.models.Parameter b) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(Nd.toDoubles(a.value()), Nd.toDoubles(b.value()));
    }
}
