package org.cottention.harness.attention;

import org.cottention.api.Attention;
import org.cottention.api.AttentionGradients;
import org.cottention.api.AttentionInput;
import org.cottention.api.AttentionKind;
import org.cottention.api.Nd;
import org.cottention.reference.Gradients;
import org.cottention.reference.ReferenceCosineAttention;
import org.cottention.reference.ReferenceSoftmaxAttention;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The double-precision reference implementations behind the {@link Attention} interface, so that the CLI and
 * the conformance tests can run the oracle like any other implementation. Quadratic time and memory; slow.
 */
public final class ReferenceAttention implements Attention {
    private final AttentionKind kind;
    private final boolean causal;

    public ReferenceAttention(AttentionKind kind, boolean causal) {
        this.kind = kind;
        this.causal = causal;
    }

    @Override
    public String name() {
        return kind.label() + "-reference";
    }

    @Override
    public AttentionKind kind() {
        return kind;
    }

    @Override
    public boolean causal() {
        return causal;
    }

    private record Saved(AttentionInput input, double[][][][] q, double[][][][] k, double[][][][] v, double[][] mask,
                         double[] m, INDArray output) implements Forward {}

    @Override
    public Forward forward(AttentionInput in) {
        double[][][][] q = Nd.toArray4(in.q()), k = Nd.toArray4(in.k()), v = Nd.toArray4(in.v());
        double[][] mask = in.mask() == null ? null : in.maskValues();
        double[] m = in.stabilizer();
        double[][][][] o = kind == AttentionKind.COSINE
                ? ReferenceCosineAttention.forward(causal, q, k, v, mask, m)
                : ReferenceSoftmaxAttention.forward(causal, q, k, v, mask);
        return new Saved(in, q, k, v, mask, m, Nd.fromArray4(o, in.dataType()));
    }

    @Override
    public AttentionGradients backward(Forward forward, INDArray gradOutput) {
        Saved f = (Saved) forward;
        double[][][][] g = Nd.toArray4(gradOutput);
        Gradients gr = kind == AttentionKind.COSINE
                ? ReferenceCosineAttention.backward(causal, f.q, f.k, f.v, f.mask, f.m, g)
                : ReferenceSoftmaxAttention.backward(causal, f.q, f.k, f.v, f.mask, g);
        DataType dt = f.input.dataType();
        return new AttentionGradients(Nd.fromArray4(gr.dq(), dt), Nd.fromArray4(gr.dk(), dt),
                Nd.fromArray4(gr.dv(), dt), gr.dm() == null ? null : Nd.fromDoubles(gr.dm(), dt, gr.dm().length));
    }
}
