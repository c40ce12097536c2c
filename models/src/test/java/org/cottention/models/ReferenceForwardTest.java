package org.cottention.models;

import org.cottention.kernels.OneThread;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.cottention.api.AttentionKind;
import org.cottention.api.Nd;
import org.cottention.reference.ReferenceCosineAttention;
import org.cottention.reference.ReferenceSoftmaxAttention;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The forward pass of BERT and GPT-J, written again with plain loops over double arrays and the reference
 * attention oracles, from the Hugging Face definitions (BertForPreTraining, GPTJForCausalLM): the ND4J models must
 * give the same loss to 1e-10. The gradient checks prove the backward matches the forward; this proves the forward
 * is the intended function (head split/merge, positions, rotary, residual wiring, heads).
 */
@ExtendWith(OneThread.class)
class ReferenceForwardTest {

    @ParameterizedTest
    @EnumSource(AttentionKind.class)
    void bertMatchesPlainLoops(AttentionKind kind) {
        BertPreTraining model = new BertPreTraining(ModelGradientTest.tinyBert(), TinyModels.attention(kind, false), 7);
        MlmBatch b = ModelGradientTest.mlmBatch();
        assertEquals(bert(model.parameters(), model.config(), kind, b), model.evaluate(b).value(), 1e-10);
    }

    @ParameterizedTest
    @EnumSource(AttentionKind.class)
    void gptjMatchesPlainLoops(AttentionKind kind) {
        GptJ model = new GptJ(ModelGradientTest.tinyGpt(), TinyModels.attention(kind, true), 7);
        LmBatch b = ModelGradientTest.lmBatch();
        assertEquals(gptj(model.parameters(), model.config(), kind, b), model.evaluate(b).value(), 1e-10);
    }

    // ---- BERT ---------------------------------------------------------------------------------------------

    static double bert(Parameters p, ModelConfig c, AttentionKind kind, MlmBatch b) {
        int n = b.batch(), s = b.length(), e = c.hidden();
        double[][] mask = toDouble(b.mask(), n, s);
        double[][][] x = new double[n][s][];
        for (int i = 0; i < n; i++) for (int t = 0; t < s; t++) {
            int type = b.tokenTypes() == null ? 0 : b.tokenTypes()[i][t];
            x[i][t] = add(add(row(p, "bert.embeddings.word_embeddings.weight", b.ids()[i][t]),
                    row(p, "bert.embeddings.position_embeddings.weight", t)), row(p, "bert.embeddings.token_type_embeddings.weight", type));
            x[i][t] = layerNorm(p, "bert.embeddings.LayerNorm", x[i][t], c.layerNormEps());
        }
        for (int l = 0; l < c.layers(); l++) {
            String pre = "bert.encoder.layer." + l;
            double[][][] a = attention(p, pre + ".attention", c, kind, false, x, mask, true);
            for (int i = 0; i < n; i++) for (int t = 0; t < s; t++) {
                double[] h1 = layerNorm(p, pre + ".attention.LayerNorm", add(x[i][t], a[i][t]), c.layerNormEps());
                double[] f = linear(p, pre + ".output.dense", geluErf(linear(p, pre + ".intermediate.dense", h1)));
                x[i][t] = layerNorm(p, pre + ".output.LayerNorm", add(h1, f), c.layerNormEps());
            }
        }
        double mlm = 0;
        int count = 0;
        double[][] words = matrix(p, "bert.embeddings.word_embeddings.weight");
        double[] bias = vector(p, "cls.predictions.decoder.bias");
        for (int i = 0; i < n; i++) for (int t = 0; t < s; t++) {
            int y = b.labels()[i][t];
            if (y == CrossEntropy.IGNORE) continue;
            double[] u = layerNorm(p, "cls.predictions.transform.LayerNorm",
                    geluErf(linear(p, "cls.predictions.transform.dense", x[i][t])), c.layerNormEps());
            double[] logits = new double[words.length];
            for (int v = 0; v < words.length; v++) logits[v] = dot(u, words[v]) + bias[v];
            mlm += crossEntropy(logits, y);
            count++;
        }
        double loss = mlm / count;
        if (b.nextSentence() != null) {
            double nsp = 0;
            for (int i = 0; i < n; i++) {
                double[] pooled = tanh(linear(p, "bert.pooler.dense", x[i][0]));
                nsp += crossEntropy(linear(p, "cls.seq_relationship", pooled), b.nextSentence()[i]);
            }
            loss += nsp / n;
        }
        return loss;
    }

    // ---- GPT-J --------------------------------------------------------------------------------------------

    static double gptj(Parameters p, ModelConfig c, AttentionKind kind, LmBatch b) {
        int n = b.batch(), s = b.length();
        double[][] mask = toDouble(b.mask(), n, s);
        double[][][] x = new double[n][s][];
        for (int i = 0; i < n; i++) for (int t = 0; t < s; t++) x[i][t] = row(p, "transformer.wte.weight", b.ids()[i][t]);
        for (int l = 0; l < c.layers(); l++) {
            String pre = "transformer.h." + l;
            double[][][] h = new double[n][s][];
            for (int i = 0; i < n; i++) for (int t = 0; t < s; t++) h[i][t] = layerNorm(p, pre + ".ln_1", x[i][t], c.layerNormEps());
            double[][][] a = attention(p, pre + ".attn", c, kind, true, h, mask, false);
            for (int i = 0; i < n; i++) for (int t = 0; t < s; t++) {
                double[] f = linear(p, pre + ".mlp.fc_out", geluTanh(linear(p, pre + ".mlp.fc_in", h[i][t])));
                x[i][t] = add(add(x[i][t], a[i][t]), f);
            }
        }
        double total = 0;
        int count = 0;
        for (int i = 0; i < n; i++) for (int t = 0; t < s; t++) {
            int y = b.labels()[i][t];
            if (y == CrossEntropy.IGNORE) continue;
            total += crossEntropy(linear(p, "lm_head", layerNorm(p, "transformer.ln_f", x[i][t], c.layerNormEps())), y);
            count++;
        }
        return total / count;
    }

    /** q, k, v projections, heads, [rotary], the reference attention, merge, output projection. */
    static double[][][] attention(Parameters p, String pre, ModelConfig c, AttentionKind kind, boolean causal,
                                  double[][][] x, double[][] mask, boolean bert) {
        int n = x.length, s = x[0].length, heads = c.heads(), d = c.headDim();
        double[][][][] q = new double[n][heads][s][d], k = new double[n][heads][s][d], v = new double[n][heads][s][d];
        for (int i = 0; i < n; i++) for (int t = 0; t < s; t++) {
            double[] qi = linear(p, pre + ".query", x[i][t]), ki = linear(p, pre + ".key", x[i][t]), vi = linear(p, pre + ".value", x[i][t]);
            for (int h = 0; h < heads; h++) for (int j = 0; j < d; j++) {
                q[i][h][t][j] = qi[h * d + j];
                k[i][h][t][j] = ki[h * d + j];
                v[i][h][t][j] = vi[h * d + j];
            }
            if (!bert) {
                for (int h = 0; h < heads; h++) {
                    q[i][h][t] = rotate(q[i][h][t], t, c.rotaryDim());
                    k[i][h][t] = rotate(k[i][h][t], t, c.rotaryDim());
                }
            }
        }
        double[][][][] o = kind == AttentionKind.COSINE
                ? ReferenceCosineAttention.forward(causal, q, k, v, mask, vector(p, pre + ".m"))
                : ReferenceSoftmaxAttention.forward(causal, q, k, v, mask);
        double[][][] out = new double[n][s][];
        for (int i = 0; i < n; i++) for (int t = 0; t < s; t++) {
            double[] merged = new double[heads * d];
            for (int h = 0; h < heads; h++) System.arraycopy(o[i][h][t], 0, merged, h * d, d);
            out[i][t] = linear(p, pre + ".out", merged);
        }
        return out;
    }

    /** GPT-J rotate_every_two on the first r dims at position t. */
    static double[] rotate(double[] x, int t, int r) {
        double[] y = x.clone();
        for (int i = 0; i < r / 2; i++) {
            double theta = t / Math.pow(10000.0, 2.0 * i / r), a = x[2 * i], b = x[2 * i + 1];
            y[2 * i] = a * Math.cos(theta) - b * Math.sin(theta);
            y[2 * i + 1] = b * Math.cos(theta) + a * Math.sin(theta);
        }
        return y;
    }

    // ---- plain helpers ------------------------------------------------------------------------------------

    static double[] linear(Parameters p, String name, double[] x) {
        double[][] w = matrix(p, name + ".weight");
        boolean hasBias = p.list().stream().anyMatch(q -> q.name().equals(name + ".bias"));
        double[] b = hasBias ? vector(p, name + ".bias") : new double[w.length];
        double[] y = new double[w.length];
        for (int o = 0; o < w.length; o++) y[o] = dot(w[o], x) + b[o];
        return y;
    }

    static double[] layerNorm(Parameters p, String name, double[] x, double eps) {
        double mean = 0, var = 0;
        for (double v : x) mean += v / x.length;
        for (double v : x) var += (v - mean) * (v - mean) / x.length;
        double[] g = vector(p, name + ".weight"), b = vector(p, name + ".bias"), y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = (x[i] - mean) / Math.sqrt(var + eps) * g[i] + b[i];
        return y;
    }

    static double[] geluErf(double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = 0.5 * x[i] * (1 + erf(x[i] / Math.sqrt(2)));
        return y;
    }

    static double[] geluTanh(double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = 0.5 * x[i] * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x[i] + 0.044715 * x[i] * x[i] * x[i])));
        }
        return y;
    }

    static double[] tanh(double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = Math.tanh(x[i]);
        return y;
    }

    /** erf by its Maclaurin series (exact to double precision for |x| <= 5; beyond, erf = ±1 in double). */
    static double erf(double x) {
        if (Math.abs(x) > 5) return Math.signum(x);
        double sum = 0, term = x;
        for (int k = 0; k < 200; k++) {
            sum += term / (2 * k + 1);
            term *= -x * x / (k + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    static double crossEntropy(double[] logits, int y) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (double v : logits) max = Math.max(max, v);
        for (double v : logits) sum += Math.exp(v - max);
        return Math.log(sum) + max - logits[y];
    }

    static double[] add(double[] a, double[] b) {
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) y[i] = a[i] + b[i];
        return y;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    static double[] vector(Parameters p, String name) {
        return Nd.toDoubles(p.get(name).value());
    }

    static double[] row(Parameters p, String name, int r) {
        return matrix(p, name)[r];
    }

    static double[][] matrix(Parameters p, String name) {
        Parameter q = p.get(name);
        int rows = (int) q.shape()[0], cols = (int) q.shape()[1];
        double[] flat = Nd.toDoubles(q.value());
        double[][] m = new double[rows][cols];
        for (int r = 0; r < rows; r++) System.arraycopy(flat, r * cols, m[r], 0, cols);
        return m;
    }

    static double[][] toDouble(float[][] mask, int n, int s) {
        double[][] m = new double[n][s];
        for (int i = 0; i < n; i++) for (int t = 0; t < s; t++) m[i][t] = mask == null ? 1 : mask[i][t];
        return m;
    }
}
