package org.cottention.models;

import org.cottention.kernels.OneThread;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Collectors;
import org.cottention.api.Attention;
import org.cottention.api.AttentionKind;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Finite-difference check (float64, central differences) of every parameter gradient of tiny BERT (pre-training
 * and classification) and GPT-J models, with each attention kind: 2 layers, hidden 12, 3 heads (head dim 4),
 * vocab 20, sequences of 7 with padding. Every tensor is checked (up to 4 sampled entries each; every m).
 * Pass: relative error < 1e-6 per tensor. Weights start at N(0, 0.5) rather than N(0, 0.02): at the real init
 * scale softmax attention is nearly uniform and the q/k gradients are ~1e-7, where central differences in float64
 * carry ~1e-11 of round-off, i.e. the check would measure round-off instead of the backward code.
 */
@ExtendWith(OneThread.class)
class ModelGradientTest {
    static final int VOCAB = 20, HIDDEN = 12, LAYERS = 2, HEADS = 3, INNER = 24, SEQ = 7;
    static final double TOLERANCE = 1e-6, INIT = 0.5;
    static final int SAMPLES = 4;

    static Attention attention(AttentionKind kind, boolean causal) {
        // chunk 4 < s = 7: the chunked causal cosine crosses a chunk boundary and pads the last chunk.
        return TinyModels.attention(kind, causal, 4);
    }

    static ModelConfig tinyBert() {
        return ModelConfig.bert(VOCAB, HIDDEN, LAYERS, HEADS, INNER, 10).withDropout(0, 0).withInitRange(INIT)
                .withDataType(DataType.DOUBLE);
    }

    static ModelConfig tinyGpt() {
        // rotary_dim 2 < head dim 4: half of each head rotates, half passes through.
        return ModelConfig.gptj(VOCAB, HIDDEN, LAYERS, HEADS, INNER, 2, 10).withInitRange(INIT).withDataType(DataType.DOUBLE);
    }

    static final float[][] MASK = {
        {1, 1, 1, 1, 1, 1, 1},
        {1, 1, 1, 1, 1, 0, 0},
        {1, 1, 1, 0, 0, 0, 0}};

    static MlmBatch mlmBatch() {
        int[][] ids = {{1, 5, 9, 4, 7, 2, 3}, {1, 6, 6, 11, 2, 0, 0}, {1, 13, 2, 0, 0, 0, 0}};
        int[][] types = {{0, 0, 0, 0, 1, 1, 1}, {0, 0, 0, 1, 1, 0, 0}, {0, 0, 1, 0, 0, 0, 0}};
        int I = CrossEntropy.IGNORE;
        int[][] labels = {{I, 8, I, 4, I, 17, I}, {I, I, 12, I, I, I, I}, {I, 19, I, I, I, I, I}};
        return new MlmBatch(ids, types, MASK, labels, new int[] {0, 1, 1});
    }

    static LmBatch lmBatch() {
        int[][] ids = {{3, 5, 9, 4, 7, 2, 3}, {1, 6, 6, 11, 2, 0, 0}, {8, 13, 2, 0, 0, 0, 0}};
        int I = CrossEntropy.IGNORE;
        int[][] labels = {{5, 9, 4, 7, 2, 3, 19}, {6, 6, 11, 2, 14, I, I}, {13, 2, 0, I, I, I, I}};
        return new LmBatch(ids, MASK, labels);
    }

    static ClassificationBatch classificationBatch() {
        int[][] ids = {{1, 5, 9, 4, 7, 2, 3}, {1, 6, 6, 11, 2, 0, 0}, {1, 13, 2, 0, 0, 0, 0}};
        return new ClassificationBatch(ids, null, MASK, new int[] {2, 0, 1});
    }

    static void assertAllPass(List<GradientCheck.Result> results, int tensors) {
        assertEquals(tensors, results.size(), "every parameter tensor is checked");
        List<GradientCheck.Result> bad = results.stream().filter(r -> !(r.relativeError() < TOLERANCE)).collect(Collectors.toList());
        assertTrue(bad.isEmpty(), "gradient mismatch: " + bad);
        assertTrue(results.stream().anyMatch(r -> r.norm() > 1e-3), "gradients are not all zero");
    }

    @ParameterizedTest
    @EnumSource(AttentionKind.class)
    void bertPreTraining(AttentionKind kind) {
        BertPreTraining model = new BertPreTraining(tinyBert(), attention(kind, false), 7);
        MlmBatch batch = mlmBatch();
        GradientCheck.inWorkspace(() -> model.trainStep(batch, 1.0, Pass.evaluation()).value());
        assertAllPass(GradientCheck.run(model.parameters(), () -> model.evaluate(batch).value(), SAMPLES, 1),
                model.parameters().list().size());
    }

    @ParameterizedTest
    @EnumSource(AttentionKind.class)
    void bertClassifier(AttentionKind kind) {
        BertClassifier model = new BertClassifier(tinyBert(), attention(kind, false), 3, 7);
        ClassificationBatch batch = classificationBatch();
        GradientCheck.inWorkspace(() -> model.trainStep(batch, 1.0, Pass.evaluation()).value());
        assertAllPass(GradientCheck.run(model.parameters(), () -> model.evaluate(batch).value(), SAMPLES, 2),
                model.parameters().list().size());
    }

    /** The classifier pooling the mean of the real tokens' states (padded rows in the batch): finite differences. */
    @ParameterizedTest
    @EnumSource(AttentionKind.class)
    void bertClassifierMeanPooling(AttentionKind kind) {
        BertClassifier model = new BertClassifier(tinyBert(), attention(kind, false), 3, 7, BertClassifier.Pooling.MEAN);
        ClassificationBatch batch = classificationBatch();
        GradientCheck.inWorkspace(() -> model.trainStep(batch, 1.0, Pass.evaluation()).value());
        assertAllPass(GradientCheck.run(model.parameters(), () -> model.evaluate(batch).value(), SAMPLES, 7),
                model.parameters().list().size());
        double cls = GradientCheck.inWorkspace(() -> new BertClassifier(tinyBert(), attention(kind, false), 3, 7)
                .evaluate(batch).value());
        double mean = GradientCheck.inWorkspace(() -> model.evaluate(batch).value());
        assertTrue(Math.abs(cls - mean) > 1e-9, "mean pooling changes the loss: " + cls + " vs " + mean);
    }

    /** Mean pooling averages the real tokens only: what follows the last real token does not change the loss. */
    @ParameterizedTest
    @EnumSource(AttentionKind.class)
    void meanPoolingIgnoresPadding(AttentionKind kind) {
        BertClassifier model = new BertClassifier(tinyBert(), attention(kind, false), 3, 7, BertClassifier.Pooling.MEAN);
        ClassificationBatch batch = classificationBatch();
        int[][] other = new int[batch.ids().length][];
        for (int i = 0; i < other.length; i++) {
            other[i] = batch.ids()[i].clone();
            for (int t = 0; t < other[i].length; t++) if (MASK[i][t] == 0f) other[i][t] = 9;
        }
        double a = GradientCheck.inWorkspace(() -> model.evaluate(batch).value());
        double b = GradientCheck.inWorkspace(() -> model.evaluate(new ClassificationBatch(other, null, MASK,
                batch.labels())).value());
        assertEquals(a, b, 1e-12 * Math.max(1, Math.abs(a)), "padding ids change the mean-pooled loss");
    }

    /** BERT with rotary on q and k (the byte-level experiments' encoders): rotary_dim 4 = the whole head. */
    @ParameterizedTest
    @EnumSource(AttentionKind.class)
    void bertWithRotary(AttentionKind kind) {
        BertPreTraining model = new BertPreTraining(tinyBert().withRotaryDim(4), attention(kind, false), 7);
        MlmBatch batch = mlmBatch();
        GradientCheck.inWorkspace(() -> model.trainStep(batch, 1.0, Pass.evaluation()).value());
        assertAllPass(GradientCheck.run(model.parameters(), () -> model.evaluate(batch).value(), SAMPLES, 6),
                model.parameters().list().size());
        double plain = GradientCheck.inWorkspace(() -> new BertPreTraining(tinyBert(), attention(kind, false), 7)
                .evaluate(batch).value());
        double rotary = GradientCheck.inWorkspace(() -> model.evaluate(batch).value());
        assertTrue(Math.abs(plain - rotary) > 1e-9, "rotary changes the loss: " + plain + " vs " + rotary);
    }

    @ParameterizedTest
    @EnumSource(AttentionKind.class)
    void gptj(AttentionKind kind) {
        GptJ model = new GptJ(tinyGpt(), attention(kind, true), 7);
        LmBatch batch = lmBatch();
        GradientCheck.inWorkspace(() -> model.trainStep(batch, 1.0, Pass.evaluation()).value());
        assertAllPass(GradientCheck.run(model.parameters(), () -> model.evaluate(batch).value(), SAMPLES, 3),
                model.parameters().list().size());
    }

    /** GPT-J blocks without an MLP (intermediate 0: attention only, the recall experiment's models). */
    @ParameterizedTest
    @EnumSource(AttentionKind.class)
    void gptjWithoutMlp(AttentionKind kind) {
        ModelConfig c = ModelConfig.gptj(VOCAB, HIDDEN, LAYERS, HEADS, 0, 2, 10).withInitRange(INIT)
                .withDataType(DataType.DOUBLE);
        GptJ model = new GptJ(c, attention(kind, true), 7);
        assertTrue(model.parameters().list().stream().noneMatch(p -> p.name().contains(".mlp.")), "no MLP parameters");
        LmBatch batch = lmBatch();
        GradientCheck.inWorkspace(() -> model.trainStep(batch, 1.0, Pass.evaluation()).value());
        assertAllPass(GradientCheck.run(model.parameters(), () -> model.evaluate(batch).value(), SAMPLES, 5),
                model.parameters().list().size());
    }

    /**
     * With dropout on (hidden 0.1, attention probabilities 0.1), a fixed pass seed makes the loss deterministic, so
     * the dropout paths are checked too. Softmax: the only attention with probability dropout.
     */
    @org.junit.jupiter.api.Test
    void bertWithDropout() {
        BertPreTraining model = new BertPreTraining(tinyBert().withDropout(0.1, 0.1), attention(AttentionKind.SOFTMAX, false), 7);
        MlmBatch batch = mlmBatch();
        long seed = 12345;
        GradientCheck.inWorkspace(() -> model.trainStep(batch, 1.0, Pass.training(seed)).value());
        double[] saved = org.cottention.api.Nd.toDoubles(model.parameters().grads());
        assertAllPass(GradientCheck.run(model.parameters(), () -> {
            double[] before = org.cottention.api.Nd.toDoubles(model.parameters().grads());
            double v = model.trainStep(batch, 0.0, Pass.training(seed)).value();
            model.parameters().grads().assign(org.nd4j.linalg.factory.Nd4j.create(before));
            return v;
        }, SAMPLES, 4), model.parameters().list().size());
        assertTrue(saved.length > 0);
    }
}
