package org.cottention.models;

import org.cottention.api.Attention;
import org.cottention.api.AttentionGradients;
import org.cottention.api.AttentionInput;
import org.cottention.api.DecodingState;
import org.cottention.api.ProbabilityDropout;
import org.cottention.api.StabilisedAttention;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Multi-head self-attention around any {@link Attention}: x (N*s, E) -> q, k, v projections -> heads (N, H, s, d)
 * -> [rotary on q, k] -> attention(q, k, v, mask, m) -> merge heads -> output projection -> (N*s, E).
 * The same code runs every attention; what differs is declared by the attention itself: a
 * {@link StabilisedAttention} gets the stabiliser m (one (H) parameter per layer), a {@link ProbabilityDropout}
 * gets attention-probability dropout.
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
     * Where the block differs between the two model families.
     *
     * @param bias            q, k, v and output projections have biases (BERT) or not (GPT-J)
     * @param rotary          the rotary embedding for q and k (GPT-J, a BERT with rotary_dim > 0), or null
     * @param outputInModule  the output projection belongs to the attention module the reference code replaces
     *                        (GPT-J's out_proj), so it gets the module's projection init; BERT's is HF's unchanged
     *                        BertSelfOutput.dense
     */
    private record Layout(boolean bias, Rotary rotary, boolean outputInModule) {}

    /**
     * BERT's self-attention: projections with biases, the output dense outside the attention module; rotary on q
     * and k, or null (BERT's own: positions only in the embeddings).
     */
    public static SelfAttention bert(Parameters p, String name, ModelConfig config, Attention attention, Rotary rotary) {
        return new SelfAttention(p, name, config, attention, new Layout(true, rotary, false));
    }

    /** GPT-J's attention: no biases, rotary on q and k, out_proj inside the attention module. */
    public static SelfAttention gptj(Parameters p, String name, ModelConfig config, Attention attention, Rotary rotary) {
        return new SelfAttention(p, name, config, attention, new Layout(false, rotary, true));
    }

    private SelfAttention(Parameters p, String name, ModelConfig config, Attention attention, Layout layout) {
        this.attention = attention;
        this.heads = config.heads();
        this.hidden = config.hidden();
        this.rotary = layout.rotary();
        this.probabilityDropout = config.attentionDropout();
        boolean pytorch = config.projectionInit() == ModelConfig.ProjectionInit.PYTORCH_DEFAULT;
        Init normal = Init.normal(config.initRange()), torch = Init.pytorchLinear(hidden);
        Init qkv = pytorch ? torch : normal, qkvBias = layout.bias() ? (pytorch ? torch : Init.zeros()) : null;
        boolean torchOut = pytorch && layout.outputInModule();
        Init out = torchOut ? torch : normal, outBias = layout.bias() ? (torchOut ? torch : Init.zeros()) : null;
        this.query = new Linear(p, name + ".query", hidden, hidden, qkv, qkvBias);
        this.key = new Linear(p, name + ".key", hidden, hidden, qkv, qkvBias);
        this.value = new Linear(p, name + ".value", hidden, hidden, qkv, qkvBias);
        this.output = new Linear(p, name + ".out", hidden, hidden, out, outBias);
        this.m = attention instanceof StabilisedAttention
                ? p.add(name + ".m", Init.constant(config.initialM()), false, heads) : null;
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
