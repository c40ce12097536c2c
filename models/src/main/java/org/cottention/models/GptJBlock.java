package org.cottention.models;

import org.cottention.api.Attention;
import org.cottention.api.DecodingState;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One GPT-J block (HF GPTJBlock): a single LayerNorm feeds attention and MLP in parallel,
 * <pre>
 *   h = LN(x);   y = x + dropout(attention(h)) + dropout(mlp(h))
 * </pre>
 * attention: q, k, v, out projections without bias, rotary on q and k; mlp: fc_in E->I, gelu_new, fc_out I->E.
 * With intermediate = 0 the block has no MLP: y = x + dropout(attention(LN(x))).
 */
final class GptJBlock {
    private final LayerNorm norm;
    private final SelfAttention attention;
    private final Mlp mlp;      // null: no MLP (intermediate = 0)
    private final Dropout attentionDropout, mlpDropout;

    GptJBlock(Parameters p, String name, ModelConfig c, Attention att, Rotary rotary) {
        norm = new LayerNorm(p, name + ".ln_1", c.hidden(), c.layerNormEps());
        attention = SelfAttention.gptj(p, name + ".attn", c, att, rotary);
        mlp = c.intermediate() == 0 ? null : new Mlp(p, name + ".mlp.fc_in", name + ".mlp.fc_out", c.hidden(),
                c.intermediate(), Activation.Kind.GELU_TANH, c.initRange());
        attentionDropout = new Dropout(c.hiddenDropout());
        mlpDropout = new Dropout(c.hiddenDropout());
    }

    /** x (N*s, E) -> (N*s, E). */
    INDArray forward(INDArray x, long n, long s, INDArray mask, Pass pass) {
        INDArray h = norm.forward(x);
        INDArray a = attentionDropout.forward(attention.forward(h, n, s, mask, 0, pass), pass);
        if (mlp != null) a.addi(mlpDropout.forward(mlp.forward(h), pass));
        return a.addi(x);
    }

    INDArray backward(INDArray dy) {
        INDArray dh = attention.backward(attentionDropout.backward(dy));
        if (mlp != null) dh.addi(mlp.backward(mlpDropout.backward(dy)));
        return norm.backward(dh).addi(dy);
    }

    /** Generation: L new tokens (N*L, E) through this layer's decoding state. */
    INDArray decode(INDArray x, long n, long len, INDArray mask, DecodingState state) {
        INDArray h = norm.forward(x);
        INDArray a = attention.decode(h, n, len, mask, state);
        if (mlp != null) a.addi(mlp.forward(h));
        return a.addi(x);
    }

    DecodingState newDecodingState(int batch) {
        return attention.newDecodingState(batch);
    }
}
