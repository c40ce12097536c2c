package org.cottention.models;

import org.cottention.kernels.OneThread;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.cottention.api.AttentionKind;
import org.cottention.api.Nd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Layer semantics against hand-written formulas, parameter counts of the paper's configurations, init rules. */
@ExtendWith(OneThread.class)
class LayersTest {

    static INDArray random(Random rng, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = rng.nextGaussian();
        return Nd.fromDoubles(v, DataType.DOUBLE, shape);
    }

    /** GPT-J's rotate_every_two formula, written out per element. */
    @Test
    void rotaryMatchesGptjFormula() {
        Random rng = new Random(1);
        int n = 2, h = 3, s = 5, d = 8, r = 4;
        long offset = 3;
        INDArray x = random(rng, n, h, s, d);
        INDArray y = new Rotary(r).forward(x, offset);
        for (int b = 0; b < n; b++) for (int hh = 0; hh < h; hh++) for (int t = 0; t < s; t++) for (int j = 0; j < d; j++) {
            double expected;
            if (j >= r) {
                expected = x.getDouble(b, hh, t, j);
            } else {
                double theta = (offset + t) / Math.pow(10000.0, 2.0 * (j / 2) / r);
                double x0 = x.getDouble(b, hh, t, j - j % 2), x1 = x.getDouble(b, hh, t, j - j % 2 + 1);
                expected = j % 2 == 0 ? x0 * Math.cos(theta) - x1 * Math.sin(theta) : x1 * Math.cos(theta) + x0 * Math.sin(theta);
            }
            assertEquals(expected, y.getDouble(b, hh, t, j), 1e-12);
        }
        // backward = transpose: <R x, g> == <x, R^T g>; and rotation keeps every head vector's norm.
        INDArray g = random(rng, n, h, s, d);
        INDArray dx = new Rotary(r).backward(g, offset);
        assertEquals(y.mul(g).sumNumber().doubleValue(), x.mul(dx).sumNumber().doubleValue(), 1e-10);
        assertEquals(x.norm2Number().doubleValue(), y.norm2Number().doubleValue(), 1e-10);
    }

    @Test
    void geluVariants() {
        INDArray x = Nd.fromDoubles(new double[] {-2, -0.5, 0, 1, 3}, DataType.DOUBLE, 1, 5);
        double[] erf = Nd.toDoubles(new Activation(Activation.Kind.GELU_ERF).forward(x));
        double[] tanh = Nd.toDoubles(new Activation(Activation.Kind.GELU_TANH).forward(x));
        // 0.5 x (1 + erf(x / sqrt 2)) and 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), from Python's math module
        assertArrayEquals(new double[] {-0.04550026389635842, -0.15426876936299344, 0.0, 0.8413447460685429, 2.99595030590511}, erf, 1e-12);
        assertArrayEquals(new double[] {-0.04540230591222494, -0.15428599017485606, 0.0, 0.8411919906082768, 2.996362607918227}, tanh, 1e-12);
    }

    @Test
    void layerNormNormalisesRows() {
        Parameters p = new Parameters(DataType.DOUBLE);
        LayerNorm ln = new LayerNorm(p, "ln", 6, 1e-12);
        p.allocate(1);
        INDArray y = ln.forward(random(new Random(2), 4, 6).muli(3).addi(5));
        double[] mean = Nd.toDoubles(y.mean(1)), var = Nd.toDoubles(y.var(false, 1));
        for (int i = 0; i < 4; i++) {
            assertEquals(0, mean[i], 1e-12);
            assertEquals(1, var[i], 1e-9);
        }
    }

    @Test
    void crossEntropyMatchesDefinition() {
        INDArray logits = Nd.fromDoubles(new double[] {1, 2, 3, 0, 0, 0, -1, 5, 2}, DataType.DOUBLE, 3, 3);
        CrossEntropy.Result r = CrossEntropy.compute(logits, new int[] {2, CrossEntropy.IGNORE, 0}, 2.0, true);
        double l0 = -Math.log(Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3)));
        double l2 = -Math.log(Math.exp(-1) / (Math.exp(-1) + Math.exp(5) + Math.exp(2)));
        assertEquals((l0 + l2) / 2, r.loss(), 1e-12);
        assertEquals(2, r.count());
        assertEquals(1, r.correct());
        assertArrayEquals(new int[] {2, 0, 1}, r.predicted());
        assertEquals(0, r.gradient().getRow(1).norm2Number().doubleValue(), 0);
        double p00 = Math.exp(1) / (Math.exp(1) + Math.exp(2) + Math.exp(3));
        assertEquals(2.0 * p00 / 2, r.gradient().getDouble(0, 0), 1e-12);
    }

    @Test
    void dropoutIsSeededAndInverted() {
        INDArray x = Nd4j.ones(DataType.DOUBLE, 200, 100);
        Dropout d = new Dropout(0.25);
        INDArray a = d.forward(x, Pass.training(7)), b = new Dropout(0.25).forward(x, Pass.training(7));
        INDArray c = new Dropout(0.25).forward(x, Pass.training(8));
        assertEquals(a, b, "same seed, same mask");
        assertNotEquals(a, c, "another seed, another mask");
        double kept = a.neq(0).castTo(DataType.DOUBLE).meanNumber().doubleValue();
        assertEquals(0.75, kept, 0.01);
        assertEquals(1.0, a.meanNumber().doubleValue(), 0.02, "inverted dropout keeps the mean");
        assertTrue(d.forward(x, Pass.evaluation()) == x, "no dropout when not training");
    }

    /** Thread count does not change a dropout mask (libnd4j's generator is counter-based). */
    @Test
    void dropoutMaskIndependentOfThreads() {
        INDArray one = Nd.dropoutMask(DataType.FLOAT, 0.1, 99, 64, 1000);
        org.cottention.kernels.KernelThreads.setLibraryThreads(2);
        try {
            assertEquals(one, Nd.dropoutMask(DataType.FLOAT, 0.1, 99, 64, 1000));
        } finally {
            org.cottention.kernels.KernelThreads.setLibraryThreads(1);
        }
    }

    /** The presets reproduce the parameter counts of paper-spec §7 (computed from the configs, no allocation). */
    @Test
    void paperConfigurationsHaveThePaperParameterCounts() {
        long bertSoftmax = new BertPreTraining(ModelConfig.bertBase(), TinyModels.attention(AttentionKind.SOFTMAX, false), 0, false).parameters().count();
        long bertCosine = new BertPreTraining(ModelConfig.bertBase(), TinyModels.attention(AttentionKind.COSINE, false), 0, false).parameters().count();
        assertEquals(108_932_934L, bertSoftmax);
        assertEquals(bertSoftmax + 12 * 12, bertCosine, "cosine adds heads x layers stabiliser scalars");
        long gpt300 = new GptJ(ModelConfig.gptj300m(), TinyModels.attention(AttentionKind.SOFTMAX, true), 0, false).parameters().count();
        long gpt1200 = new GptJ(ModelConfig.gptj1200m(), TinyModels.attention(AttentionKind.SOFTMAX, true), 0, false).parameters().count();
        long gpt300cos = new GptJ(ModelConfig.gptj300m(), TinyModels.attention(AttentionKind.COSINE, true), 0, false).parameters().count();
        assertEquals(313_109_728L, gpt300);
        assertEquals(1_213_412_576L, gpt1200);
        assertEquals(gpt300 + 320, gpt300cos, "20 layers x 16 heads = 320 extra scalars (paper §3.3)");
    }

    /** Reference init: cosine q/k/v (and GPT-J out) are U(±1/sqrt(E)) with uniform biases; baseline init is shared. */
    @Test
    void projectionInitFollowsTheReference() {
        ModelConfig c = ModelConfig.bert(50, 64, 1, 4, 128, 16);
        ModelConfig torch = c.withProjectionInit(ModelConfig.ProjectionInit.PYTORCH_DEFAULT);
        BertPreTraining cos = new BertPreTraining(torch, TinyModels.attention(AttentionKind.COSINE, false), 3);
        BertPreTraining soft = new BertPreTraining(c, TinyModels.attention(AttentionKind.SOFTMAX, false), 3);
        double bound = 1 / Math.sqrt(64);
        INDArray q = cos.parameters().get("bert.encoder.layer.0.attention.query.weight").value();
        INDArray qb = cos.parameters().get("bert.encoder.layer.0.attention.query.bias").value();
        assertTrue(q.amaxNumber().doubleValue() <= bound && q.amaxNumber().doubleValue() > 0.9 * bound, "U(±1/sqrt(E))");
        assertTrue(qb.amaxNumber().doubleValue() > 0, "cosine query bias is not zero-initialised");
        assertEquals(0, soft.parameters().get("bert.encoder.layer.0.attention.query.bias").value().amaxNumber().doubleValue(), 0);
        assertTrue(soft.parameters().get("bert.encoder.layer.0.attention.query.weight").value().stdNumber().doubleValue() < 0.03);
        // BERT's output dense is HF's in both.
        assertEquals(soft.parameters().get("bert.encoder.layer.0.attention.out.weight").value(),
                cos.parameters().get("bert.encoder.layer.0.attention.out.weight").value());
        assertEquals(0.5, cos.parameters().get("bert.encoder.layer.0.attention.m").value().getDouble(0), 0);

        ModelConfig fair = c.withProjectionInit(ModelConfig.ProjectionInit.BASELINE);
        BertPreTraining cosFair = new BertPreTraining(fair, TinyModels.attention(AttentionKind.COSINE, false), 3);
        for (Parameter p : soft.parameters().list()) {
            assertEquals(p.value(), cosFair.parameters().get(p.name()).value(), p.name() + " identical under baseline init");
        }
        ModelConfig g = ModelConfig.gptj(50, 64, 1, 4, 128, 16, 16)
                .withProjectionInit(ModelConfig.ProjectionInit.PYTORCH_DEFAULT);
        GptJ gcos = new GptJ(g, TinyModels.attention(AttentionKind.COSINE, true), 3);
        assertTrue(gcos.parameters().get("transformer.h.0.attn.out.weight").value().amaxNumber().doubleValue() > 0.1,
                "GPT-J cosine out_proj gets PyTorch's init");
        assertNull(findOrNull(gcos.parameters(), "transformer.h.0.attn.query.bias"), "GPT-J projections have no bias");
    }

    private static Parameter findOrNull(Parameters p, String name) {
        return p.list().stream().filter(x -> x.name().equals(name)).findFirst().orElse(null);
    }

    @Test
    void paddingRowStartsAtZero() {
        ModelConfig c = ModelConfig.bert(50, 16, 1, 2, 32, 16).withPadTokenId(3);
        BertPreTraining m = new BertPreTraining(c, TinyModels.attention(AttentionKind.SOFTMAX, false), 3);
        assertEquals(0, m.parameters().get("bert.embeddings.word_embeddings.weight").value().getRow(3).amaxNumber().doubleValue(), 0);
    }
}
