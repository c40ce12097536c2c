package org.cottention.models;

import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.cottention.api.Attention;
import org.cottention.cosine.BidirectionalCosineAttention;
import org.cottention.cosine.ChunkedCausalCosineAttention;
import org.cottention.kernels.AllocationRecorder;
import org.cottention.kernels.WorkingBytes;
import org.cottention.softmax.SoftmaxAttention;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The models' step estimates (GptJ/BertPreTraining/BertClassifier.stepBytes, {@link StepMemory}) against what a
 * training step and an evaluation step really allocate in their workspace: at least that, at most twice that plus
 * a few KiB, over both attentions, dropout on and off, a few shapes, and float64 on one.
 */
class StepMemoryTest {
    /** (N, E, H, I, s, V, L) */
    private static final int[][] SHAPES = {{2, 32, 4, 128, 64, 100, 1}, {2, 64, 4, 256, 64, 300, 2}, {4, 32, 2, 64, 96, 1000, 1},
        {1, 48, 3, 192, 130, 260, 2}};

    @Test
    void aStepAllocatesWhatTheModelEstimates() {
        SplittableRandom r = new SplittableRandom(1);
        for (int[] c : SHAPES) {
            int n = c[0], e = c[1], h = c[2], inner = c[3], s = c[4], v = c[5], l = c[6];
            DataType[] types = c == SHAPES[0] ? new DataType[] {DataType.FLOAT, DataType.DOUBLE} : new DataType[] {DataType.FLOAT};
            for (DataType dt : types) {
                for (double dropout : new double[] {0, 0.1}) {
                    for (boolean soft : new boolean[] {false, true}) {
                        String label = String.format("%s N=%d E=%d H=%d I=%d s=%d V=%d L=%d %s dropout %.1f",
                                soft ? "softmax" : "cosine", n, e, h, inner, s, v, l, dt, dropout);
                        Attention causal = soft ? new SoftmaxAttention(true) : new ChunkedCausalCosineAttention();
                        ModelConfig gc = ModelConfig.gptj(v, e, l, h, inner, Math.min(8, e / h), s).withDataType(dt)
                                .withDropout(dropout, 0);
                        GptJ gpt = new GptJ(gc, causal, 1);
                        LmBatch lm = lm(n, s, v, r);
                        check("GPT-J " + label, GptJ.stepBytes(gc, causal, n, s, true), GptJ.stepBytes(gc, causal, n, s, false),
                                () -> gpt.trainStep(lm, 1, Pass.training(3)), () -> gpt.evaluate(lm));

                        Attention bidirectional = soft ? new SoftmaxAttention(false) : new BidirectionalCosineAttention();
                        ModelConfig bc = ModelConfig.bert(v, e, l, h, inner, s).withDataType(dt).withDropout(dropout, dropout);
                        BertPreTraining bert = new BertPreTraining(bc, bidirectional, 1);
                        for (double labelled : new double[] {0.15, 1.0}) {
                            MlmBatch mb = mlm(n, s, v, labelled, r);
                            long rows = java.util.Arrays.stream(mb.labels()).flatMapToInt(java.util.Arrays::stream)
                                    .filter(x -> x != CrossEntropy.IGNORE).count();
                            check("BERT MLM " + labelled + " " + label,
                                    BertPreTraining.stepBytes(bc, bidirectional, n, s, rows, true),
                                    BertPreTraining.stepBytes(bc, bidirectional, n, s, rows, false),
                                    () -> bert.trainStep(mb, 1, Pass.training(3)), () -> bert.evaluate(mb));
                        }
                        BertClassifier cls = new BertClassifier(bc, bidirectional, 3, 1);
                        ClassificationBatch cb = classification(n, s, v, r);
                        check("BERT classifier " + label, BertClassifier.stepBytes(bc, bidirectional, 3, n, s, true),
                                BertClassifier.stepBytes(bc, bidirectional, 3, n, s, false),
                                () -> cls.trainStep(cb, 1, Pass.training(3)), () -> cls.evaluate(cb));
                    }
                }
            }
        }
    }

    private static void check(String label, long train, long eval, Supplier<Loss> step, Supplier<Loss> evaluate) {
        WorkingBytes.assertWithin(label + " training step", train, measure(step));
        WorkingBytes.assertWithin(label + " evaluation step", eval, measure(evaluate));
    }

    private static long measure(Supplier<Loss> step) {
        AllocationRecorder ws = new AllocationRecorder("step-memory");
        long bytes;
        try (AllocationRecorder rec = ws.open()) {
            step.get();
            bytes = rec.totalBytes();
        }
        ws.destroyWorkspace(true);
        return bytes;
    }

    static LmBatch lm(int n, int s, int vocab, SplittableRandom r) {
        int[][] ids = new int[n][s], labels = new int[n][s];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < s; j++) {
                ids[i][j] = r.nextInt(vocab);
                labels[i][j] = r.nextInt(vocab);
            }
        }
        return new LmBatch(ids, null, labels);
    }

    static MlmBatch mlm(int n, int s, int vocab, double labelled, SplittableRandom r) {
        int[][] ids = new int[n][s], types = new int[n][s], labels = new int[n][s];
        float[][] mask = new float[n][s];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < s; j++) {
                ids[i][j] = r.nextInt(vocab);
                types[i][j] = j < s / 2 ? 0 : 1;
                mask[i][j] = j < s - i ? 1 : 0;
                labels[i][j] = r.nextDouble() < labelled ? r.nextInt(vocab) : CrossEntropy.IGNORE;
            }
        }
        labels[0][0] = 1;
        return new MlmBatch(ids, types, mask, labels, new int[n]);
    }

    static ClassificationBatch classification(int n, int s, int vocab, SplittableRandom r) {
        int[][] ids = new int[n][s];
        float[][] mask = new float[n][s];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < s; j++) {
                ids[i][j] = r.nextInt(vocab);
                mask[i][j] = j < s - i ? 1 : 0;
            }
            labels[i] = r.nextInt(3);
        }
        return new ClassificationBatch(ids, null, mask, labels);
    }
}
