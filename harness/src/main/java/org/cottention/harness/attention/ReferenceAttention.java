package org.cottention.harness.attention;

import org.cottention.api.Attention;
import org.cottention.api.AttentionGradients;
import org.cottention.api.AttentionInput;
import org.cottention.api.AttentionKind;
import org.cottention.api.AttentionShape;
import org.cottention.api.Nd;
import org.cottention.api.StabilisedAttention;
import org.cottention.reference.Gradients;
import org.cottention.reference.ReferenceCosineAttention;
import org.cottention.reference.ReferenceSoftmaxAttention;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The double-precision reference implementations behind the {@link Attention} interface, so that the CLI and
 * a model can run the oracle like any other implementation. Quadratic time and memory; slow.
 */
public abstract class ReferenceAttention implements Attention {
    private final boolean causal;

    private ReferenceAttention(boolean causal) {
        this.causal = causal;
    }

    /** ReferenceCosineAttention: a {@link StabilisedAttention}, like every cosine implementation. */
    public static Attention cosine(boolean causal) {
        return new Cosine(causal);
    }

    /** ReferenceSoftmaxAttention. */
    public static Attention softmax(boolean causal) {
        return new Softmax(causal);
    }

    @Override
    public String name() {
        return kind().label() + "-reference";
    }

    @Override
    public boolean causal() {
        return causal;
    }

    /**
     * Native memory only (the oracle computes on the Java heap): q, k, v read out as float64 (through a float64
     * copy when they are float32) and the output (float64, then cast); backward: dL/dO read the same way and the
     * three gradients (and dm) built the same way.
     */
    @Override
    public long workingBytes(AttentionShape x, boolean backward) {
        long bs = AttentionShape.times(x.batchHeads(), x.length()), dk = x.keyDim(), dv = x.valueDim();
        long reads = x.elementBytes() == 8 ? 1 : 2;            // castTo(DOUBLE) when float32, then dup
        long build = x.elementBytes() == 8 ? 8 : 12;           // a float64 array, then the cast
        long forward = AttentionShape.sum(AttentionShape.times(reads, AttentionShape.doubles(bs, 2 * dk + dv)),
                AttentionShape.times(build, bs, dv));
        if (!backward) return forward;
        return AttentionShape.sum(forward, AttentionShape.times(reads, AttentionShape.doubles(bs, dv)),
                AttentionShape.times(build, AttentionShape.sum(AttentionShape.times(bs, 2 * dk + dv), x.heads())));
    }

    /** The oracle's output (N, H, s, dv) for double inputs. */
    abstract double[][][][] output(double[][][][] q, double[][][][] k, double[][][][] v, double[][] mask, double[] m);

    abstract Gradients gradients(double[][][][] q, double[][][][] k, double[][][][] v, double[][] mask, double[] m,
                                 double[][][][] g);

    private record Saved(AttentionInput input, double[][][][] q, double[][][][] k, double[][][][] v, double[][] mask,
                         double[] m, INDArray output) implements Forward {}

    @Override
    public Forward forward(AttentionInput in) {
        double[][][][] q = Nd.toArray4(in.q()), k = Nd.toArray4(in.k()), v = Nd.toArray4(in.v());
        double[][] mask = in.mask() == null ? null : in.maskValues();
        double[] m = in.stabilizer();
        return new Saved(in, q, k, v, mask, m, Nd.fromArray4(output(q, k, v, mask, m), in.dataType()));
    }

    @Override
    public AttentionGradients backward(Forward forward, INDArray gradOutput) {
        Saved f = (Saved) forward;
        Gradients gr = gradients(f.q, f.k, f.v, f.mask, f.m, Nd.toArray4(gradOutput));
        DataType dt = f.input.dataType();
        return new AttentionGradients(Nd.fromArray4(gr.dq(), dt), Nd.fromArray4(gr.dk(), dt),
                Nd.fromArray4(gr.dv(), dt), gr.dm() == null ? null : Nd.fromDoubles(gr.dm(), dt, gr.dm().length));
    }

    private static final class Cosine extends ReferenceAttention implements StabilisedAttention {
        Cosine(boolean causal) {
            super(causal);
        }

        @Override
        public AttentionKind kind() {
            return AttentionKind.COSINE;
        }

        @Override
        double[][][][] output(double[][][][] q, double[][][][] k, double[][][][] v, double[][] mask, double[] m) {
            return ReferenceCosineAttention.forward(causal(), q, k, v, mask, m);
        }

        @Override
        Gradients gradients(double[][][][] q, double[][][][] k, double[][][][] v, double[][] mask, double[] m,
                            double[][][][] g) {
            return ReferenceCosineAttention.backward(causal(), q, k, v, mask, m, g);
        }
    }

    private static final class Softmax extends ReferenceAttention {
        Softmax(boolean causal) {
            super(causal);
        }

        @Override
        public AttentionKind kind() {
            return AttentionKind.SOFTMAX;
        }

        @Override
        double[][][][] output(double[][][][] q, double[][][][] k, double[][][][] v, double[][] mask, double[] m) {
            return ReferenceSoftmaxAttention.forward(causal(), q, k, v, mask);
        }

        @Override
        Gradients gradients(double[][][][] q, double[][][][] k, double[][][][] v, double[][] mask, double[] m,
                            double[][][][] g) {
            return ReferenceSoftmaxAttention.backward(causal(), q, k, v, mask, g);
        }
    }
}
