package org.cottention.models;

import org.cottention.api.Attention;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One post-LN BERT encoder layer (HF BertLayer):
 * <pre>
 *   h1 = LN(x + dropout(attention(x)))          attention = q/k/v projections, attention, output dense
 *   h2 = LN(h1 + dropout(mlp(h1)))              mlp = dense E->I, GELU (erf), dense I->E
 * </pre>
 */
final class BertLayer {
    private final SelfAttention attention;
    private final Dropout attentionDropout, outputDropout;
    private final LayerNorm attentionNorm, outputNorm;
    private final Mlp mlp;

    /** rotary: on q and k (a BERT with rotaryDim > 0), or null (BERT). */
    BertLayer(Parameters p, String name, ModelConfig c, Attention att, Rotary rotary) {
        attention = SelfAttention.bert(p, name + ".attention", c, att, rotary);
        attentionDropout = new Dropout(c.hiddenDropout());
        attentionNorm = new LayerNorm(p, name + ".attention.LayerNorm", c.hidden(), c.layerNormEps());
        mlp = new Mlp(p, name + ".intermediate.dense", name + ".output.dense", c.hidden(), c.intermediate(),
                Activation.Kind.GELU_ERF, c.initRange());
        outputDropout = new Dropout(c.hiddenDropout());
        outputNorm = new LayerNorm(p, name + ".output.LayerNorm", c.hidden(), c.layerNormEps());
    }

    /** x (N*s, E) -> (N*s, E). */
    INDArray forward(INDArray x, long n, long s, INDArray mask, Pass pass) {
        INDArray a = attentionDropout.forward(attention.forward(x, n, s, mask, 0, pass), pass);
        INDArray h1 = attentionNorm.forward(a.addi(x));
        INDArray f = outputDropout.forward(mlp.forward(h1), pass);
        return outputNorm.forward(f.addi(h1));
    }

    INDArray backward(INDArray dh2) {
        INDArray d = outputNorm.backward(dh2);                             // d(h1 + f)
        INDArray dh1 = mlp.backward(outputDropout.backward(d)).addi(d);
        INDArray d1 = attentionNorm.backward(dh1);                         // d(x + a)
        return attention.backward(attentionDropout.backward(d1)).addi(d1);
    }
}
