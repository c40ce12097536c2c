package org.cottention.harness.model;

import org.cottention.api.Attention;
import org.cottention.api.AttentionGradients;
import org.cottention.api.AttentionInput;
import org.cottention.api.AttentionKind;
import org.cottention.api.DecodingState;
import org.cottention.api.ProbabilityDropout;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Multi-head self-attention around any {@link Attention}: x (N*s, E) -> q, k, v projections -> heads (N, H, s, d)
 * -> [rotary on q, k] -> attention(q, k, v, mask, m) -> merge heads -> output projection -> (N*s, E).
 * The same code runs softmax and cosine attention; the differences live in the Attention object, plus the
 * stabiliser m (one (H) vector per layer, a parameter of this layer) that only cosine attention takes.
 */
public final class SelfAttention {
    private final Attention attention;
    private final Linear query, key, value, output;
    private final Parameter m;
    private final Rotary rotary;
    private final double probabilityDropout;
    private final int heads;
    private final long hidden;
    // Kept from forward for backward.
    private Attention.Forward forward;
    private long n, s, offset;

    /**
     * @param name      prefix of the parameter names
     * @param bias      q, k, v and output projections have biases (BERT) or not (GPT-J)
     * @param rotary    the rotary embedding for q and k (GPT-J), or null (BERT)
     * @param cosineOutputInit the output projection is part of the reference's cosine module (GPT-J) and gets its
     *                  init; in BERT it is HF's unchanged BertSelfOutput.dense
     */
    public SelfAttention(Parameters p, String name, ModelConfig config, Attention attention, boolean bias,
                         Rotary rotary, boolean cosineOutputInit) {
        this.attention = attention;
        this.heads = config.heads();
        this.hidden = config.hidden();
        this.rotary = rotary;
        this.probabilityDropout = config.attentionDropout();
        boolean cosine = attention.kind() == AttentionKind.COSINE;
        boolean pytorchInit = cosine && config.projectionInit() == ModelConfig.ProjectionInit.REFERENCE;
        Init hf = Init.normal(config.initRange()), torch = Init.pytorchLinear(hidden);
        Init qkv = pytorchInit ? torch : hf, qkvBias = bias ? (pytorchInit ? torch : Init.zeros()) : null;
        Init out = pytorchInit && cosineOutputInit ? torch : hf;
        Init outBias = bias ? (pytorchInit && cosineOutputInit ? torch : Init.zeros()) : null;
        this.query = new Linear(p, name + ".query", hidden, hidden, qkv, qkvBias);
        this.key = new Linear(p, name + ".key", hidden, hidden, qkv, qkvBias);
        this.value = new Linear(p, name + ".value", hidden, hidden, qkv, qkvBias);
        this.output = new Linear(p, name + ".out", hidden, hidden, out, outBias);
        this.m = cosine ? p.add(name + ".m", Init.constant(config.initialM()), false, heads) : null;
    }

    /**
     * @param x      (N*s, E), rows in (sequence, position) order
     * @param mask   (N, s) 1 = real token, in x's dtype, or null
     * @param offset position of the first token (rotary)
     * @return (N*s, E)
     */
    public INDArray forward(INDArray x, long n, long s, INDArray mask, long offset, Pass pass) {
        this.n = n;
        this.s = s;
        this.offset = offset;
        INDArray q = rotate(splitHeads(query.forward(x))), k = rotate(splitHeads(key.forward(x)));
        AttentionInput in = new AttentionInput(q, k, splitHeads(value.forward(x)), mask, m == null ? null : m.value());
        if (probabilityDropout > 0 && pass.training() && attention instanceof ProbabilityDropout d) {
            forward = d.forward(in, probabilityDropout, pass.nextSeed());
        } else {
            forward = attention.forward(in);
        }
        return output.forward(mergeHeads(forward.output()));
    }

    /** dy (N*s, E) -> dx (N*s, E); accumulates the projections' gradients and dm. */
    public INDArray backward(INDArray dy) {
        AttentionGradients g = attention.backward(forward, splitHeads(output.backward(dy)));
        if (m != null) m.grad().addi(g.dm());
        INDArray dq = g.dq(), dk = g.dk();
        if (rotary != null) {
            dq = rotary.backward(dq, offset);
            dk = rotary.backward(dk, offset);
        }
        INDArray dx = query.backward(mergeHeads(dq));
        dx.addi(key.backward(mergeHeads(dk)));
        return dx.addi(value.backward(mergeHeads(g.dv())));
    }

    /** Generation: L new tokens x (N*L, E) through a decoding state (its position is the rotary offset). */
    public INDArray decode(INDArray x, long n, long len, INDArray mask, DecodingState state) {
        this.n = n;
        this.s = len;
        long position = state.position();
        INDArray q = splitHeads(query.forward(x)), k = splitHeads(key.forward(x)), v = splitHeads(value.forward(x));
        if (rotary != null) {
            q = rotary.forward(q, position);
            k = rotary.forward(k, position);
        }
        INDArray o = state.append(q, k, v, mask, m == null ? null : m.value());
        return output.forward(mergeHeads(o));
    }

    /** A decoding state for this layer's attention (cosine: constant-size recurrent state; softmax: KV cache). */
    public DecodingState newDecodingState(int batch) {
        int d = (int) (hidden / heads);
        return attention.newDecodingState(batch, heads, d, d, query.weightType());
    }

    private INDArray rotate(INDArray x) {
        return rotary == null ? x : rotary.forward(x, offset);
    }

    /** (N*s, E) -> (N, H, s, d), C-ordered. */
    private INDArray splitHeads(INDArray x) {
        return x.reshape('c', n, s, heads, hidden / heads).permute(0, 2, 1, 3).dup('c');
    }

    /** (N, H, s, d) -> (N*s, E), C-ordered. */
    private INDArray mergeHeads(INDArray x) {
        return x.permute(0, 2, 1, 3).dup('c').reshape('c', n * s, hidden);
    }
}
