package org.cottention.cosine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.cottention.api.AttentionCases.SHAPES;
import static org.cottention.api.AttentionCases.assertClose;
import static org.cottention.api.AttentionCases.slice;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.cottention.api.Attention;
import org.cottention.api.AttentionCases.Case;
import org.cottention.api.AttentionCases.Shape;
import org.cottention.api.AttentionGradients;
import org.cottention.api.AttentionInput;
import org.cottention.api.DecodingState;
import org.cottention.api.Nd;
import org.cottention.cosine.cuda.CosineKernelTwins;
import org.cottention.cosine.cuda.CosineKernels;
import org.cottention.cosine.cuda.CudaCosineAttention;
import org.cottention.cuda.CudaRuntime;
import org.cottention.cuda.CudaUnavailableException;
import org.cottention.cuda.Precision;
import org.cottention.reference.Gradients;
import org.cottention.reference.RandomTensors;
import org.cottention.reference.ReferenceCosineAttention;
import org.cottention.reference.ReferenceRecurrentCosine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every form of cosine attention against the double-precision reference, in the manner of flash-linear-attention's
 * {@code tests/ops}: all forms share one signature, (q, k, v, mask, m[, initial state]) -> (output, final state,
 * dq, dk, dv, dm), and each is compared with the reference on the output, the final state and every gradient, the
 * full shape of each asserted. Forms: the bidirectional linear order (forced, and automatic: quadratic when
 * s < dk), the quadratic order (both modes), the chunked causal form with the shape's chunk, C = 1 and C > s, the
 * chunked form continued from an initial state, the recurrent decoding state fed in uneven pieces, and the CUDA
 * implementation on the CPU twin of its kernels (and on a GPU, skipped without one). Shapes: odd head sizes
 * (d = 60, 7, 3), s = 1, lengths not a multiple of the chunk, dk != dv, right padding and arbitrary masks.
 * Relative error below 1e-5 in float32 and 1e-10 in float64.
 */
class CosineAttentionFormsTest {

    /**
     * What a form computed. from: the first position its output and gradients cover (a form continued from a state
     * covers [from, s)); finalState (N, H, dv, dk) or null where the form keeps none; grads null where it has none
     * (decoding); dmExpected: the dm the form must give when it differs from the reference's (a continued form
     * gets no gradient through its initial state), else null.
     */
    record Result(int from, INDArray output, CosineState finalState, AttentionGradients grads, double[] dmExpected) {}

    /** One form of cosine attention. */
    interface Form {
        boolean supports(boolean causal);

        default boolean float64() {
            return true;
        }

        Result run(Case c, boolean causal, DataType dt);
    }

    /** A plain Attention: forward + backward over the whole sequence. */
    record Plain(String name, java.util.function.BiFunction<Boolean, Shape, Attention> create, boolean bidirectional,
                 boolean causal, boolean float64) implements Form {
        @Override
        public boolean supports(boolean causalMode) {
            return causalMode ? causal : bidirectional;
        }

        @Override
        public Result run(Case c, boolean causalMode, DataType dt) {
            Attention a = create.apply(causalMode, c.shape());
            assertEquals(causalMode, a.causal());
            Attention.Forward f = a.forward(c.input(dt));
            CosineState fin = null;
            if (causalMode && a instanceof ChunkedCausalCosineAttention chunked) {
                fin = chunked.forward(c.input(dt), (CosineState) null).finalState();
            }
            return new Result(0, f.output(), fin, a.backward(f, c.gradient(dt, 0, c.shape().s())), null);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** The chunked form run on the second half of the sequence from the state the first half left. */
    record Continued(int chunk) implements Form {
        @Override
        public boolean supports(boolean causal) {
            return causal;
        }

        @Override
        public Result run(Case c, boolean causal, DataType dt) {
            int s = c.shape().s(), split = s / 2;
            ChunkedCausalCosineAttention a = new ChunkedCausalCosineAttention(chunk);
            CosineState initial = split == 0 ? null : a.forward(c.input(dt, 0, split), (CosineState) null).finalState();
            ChunkedCausalCosineAttention.StatefulForward f = a.forward(c.input(dt, split, s), initial);
            AttentionGradients grads = a.backward(f.forward(), c.gradient(dt, split, s));
            return new Result(split, f.output(), f.finalState(), grads, dmByFiniteDifferences(c, split));
        }

        /** d<g, o>/dm of the continued call with its initial state held fixed, by central differences in float64. */
        private double[] dmByFiniteDifferences(Case c, int split) {
            int s = c.shape().s();
            ChunkedCausalCosineAttention a = new ChunkedCausalCosineAttention(chunk);
            CosineState initial = split == 0 ? null
                    : a.forward(c.input(DataType.DOUBLE, 0, split), (CosineState) null).finalState();
            INDArray g = c.gradient(DataType.DOUBLE, split, s);
            double[] dm = new double[c.shape().h()];
            double step = 1e-5;
            for (int h = 0; h < dm.length; h++) {
                double[] loss = new double[2];
                for (int side = 0; side < 2; side++) {
                    AttentionInput in = c.input(DataType.DOUBLE, split, s);
                    double[] m = c.m().clone();
                    m[h] += side == 0 ? step : -step;
                    AttentionInput moved = new AttentionInput(in.q(), in.k(), in.v(), in.mask(),
                            Nd.fromDoubles(m, DataType.DOUBLE, m.length));
                    loss[side] = a.forward(moved, initial).output().mul(g).sumNumber().doubleValue();
                }
                dm[h] = (loss[0] - loss[1]) / (2 * step);
            }
            return dm;
        }

        @Override
        public String toString() {
            return "cosine-chunked C=" + chunk + " from a state";
        }
    }

    /** A decoding state fed the sequence in uneven pieces: outputs and (for the recurrent state) the final state. */
    record Decoding(String name, java.util.function.BiFunction<Shape, DataType, DecodingState> create, boolean float64)
            implements Form {
        @Override
        public boolean supports(boolean causal) {
            return causal;
        }

        @Override
        public Result run(Case c, boolean causal, DataType dt) {
            Shape sh = c.shape();
            DecodingState state = create.apply(sh, dt);
            long bytes = state.bytes();
            List<INDArray> pieces = new ArrayList<>();
            int[] lengths = {11, 1, 1, 1, 7, 1, 7};
            int start = 0;
            for (int i = 0; start < sh.s(); i++) {
                int len = Math.min(lengths[i % lengths.length], sh.s() - start);
                AttentionInput in = c.input(dt, start, start + len);
                INDArray o = state.append(in.q(), in.k(), in.v(), in.mask(), in.m());
                assertArrayEquals(new long[] {sh.n(), sh.h(), len, sh.dv()}, o.shape());
                pieces.add(o);
                start += len;
            }
            assertEquals(sh.s(), state.position());
            assertEquals(bytes, state.bytes(), "a cosine decoding state does not grow");
            INDArray first = Nd4j.concat(2, pieces.toArray(INDArray[]::new));
            // reset() starts over: the same tokens again give the same outputs.
            state.reset();
            assertEquals(0, state.position());
            AttentionInput all = c.input(dt);
            INDArray again = state.append(all.q(), all.k(), all.v(), all.mask(), all.m());
            assertClose("after reset()", first, again, dt == DataType.FLOAT ? 1e-5 : 1e-12);
            state.reset();
            pieces.clear();
            for (int i = 0, at = 0; at < sh.s(); i++) {
                int len = Math.min(lengths[i % lengths.length], sh.s() - at);
                AttentionInput in = c.input(dt, at, at + len);
                pieces.add(state.append(in.q(), in.k(), in.v(), in.mask(), in.m()));
                at += len;
            }
            INDArray out = Nd4j.concat(2, pieces.toArray(INDArray[]::new));
            CosineState fin = state instanceof RecurrentCosineState r ? r.snapshot() : null;
            return new Result(0, out, fin, null, null);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** The CUDA kernels' CPU twins (an emulated device with an H100's shared memory per block). */
    static CosineKernels twins() {
        return new CosineKernels(CosineKernelTwins.device(232448), Precision.F32_SIMT);
    }

    static CosineKernels gpu() {
        assumeTrue(CudaRuntime.available(), () -> "no CUDA device/driver (" + CudaRuntime.unavailableReason() + ")");
        try {
            return CosineKernels.onGpu(Precision.F32_SIMT);
        } catch (CudaUnavailableException e) {
            assumeTrue(false, e.getMessage());
            throw e;
        }
    }

    static final List<Form> FORMS = List.of(
            new Plain("cosine-linear", (causal, sh) -> new BidirectionalCosineAttention(BidirectionalCosineAttention.Order.LINEAR),
                    true, false, true),
            new Plain("cosine-linear (quadratic when s < dk)", (causal, sh) -> new BidirectionalCosineAttention(), true, false,
                    true),
            new Plain("cosine-quadratic", (causal, sh) -> new QuadraticCosineAttention(causal), true, true, true),
            new Plain("cosine-chunked C=shape", (causal, sh) -> new ChunkedCausalCosineAttention(sh.chunk()), false, true, true),
            new Plain("cosine-chunked C=1", (causal, sh) -> new ChunkedCausalCosineAttention(1), false, true, true),
            new Plain("cosine-chunked C>s", (causal, sh) -> new ChunkedCausalCosineAttention(sh.s() + 5), false, true, true),
            new Continued(4),
            new Continued(64),
            new Decoding("recurrent state (float64)", (sh, dt) -> new RecurrentCosineState(sh.n(), sh.h(), sh.dk(), sh.dv(),
                    DataType.DOUBLE, new ChunkedCausalCosineAttention(4)), true),
            new Decoding("recurrent state (float32)", (sh, dt) -> new RecurrentCosineState(sh.n(), sh.h(), sh.dk(), sh.dv(),
                    DataType.FLOAT, new ChunkedCausalCosineAttention(4)), false),
            new Plain("cuda-cosine on the kernels' CPU twins", (causal, sh) -> new CudaCosineAttention(causal, twins()), true,
                    true, false),
            new Decoding("cuda-cosine decoding state on the CPU twins", (sh, dt) -> new CudaCosineAttention(true, twins())
                    .newDecodingState(sh.n(), sh.h(), sh.dk(), sh.dv(), DataType.FLOAT), false),
            new Plain("cuda-cosine on the GPU", (causal, sh) -> new CudaCosineAttention(causal, gpu()), true, true, false),
            new Decoding("cuda-cosine decoding state on the GPU", (sh, dt) -> new CudaCosineAttention(true, gpu())
                    .newDecodingState(sh.n(), sh.h(), sh.dk(), sh.dv(), DataType.FLOAT), false));

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Form form : FORMS) {
            for (boolean causal : new boolean[] {false, true}) {
                if (!form.supports(causal)) continue;
                for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
                    if (dt == DataType.DOUBLE && !form.float64()) continue;
                    for (Shape shape : SHAPES) out.add(Arguments.of(form, causal, dt, shape));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} causal={1} {2} {3}")
    @MethodSource("cases")
    void matchesTheReference(Form form, boolean causal, DataType dt, Shape sh) {
        Case c = Case.of(sh, causal);
        Result r = form.run(c, causal, dt);
        int s = sh.s(), len = s - r.from();
        double tol = dt == DataType.FLOAT ? 1e-5 : 1e-10;

        assertEquals(dt, r.output().dataType());
        assertArrayEquals(new long[] {sh.n(), sh.h(), len, sh.dv()}, r.output().shape());
        double[][][][] expected = ReferenceCosineAttention.forward(causal, c.q(), c.k(), c.v(), c.mask(), c.m());
        assertClose("output", slice(expected, r.from()), r.output(), tol);

        if (causal && r.finalState() != null) {
            ReferenceRecurrentCosine recurrence = new ReferenceRecurrentCosine(sh.n(), sh.h(), sh.dk(), sh.dv(), c.m());
            recurrence.append(c.q(), c.k(), c.v(), c.mask());
            assertArrayEquals(new long[] {sh.n(), sh.h(), sh.dv(), sh.dk()}, r.finalState().state().shape());
            assertArrayEquals(recurrence.count(), r.finalState().counts(), 0.0, "final counts");
            assertClose("final state", recurrence.state(), r.finalState().state(), tol);
        }

        if (r.grads() == null) return;
        AttentionGradients gr = r.grads();
        // With g = 0 before `from`, the reference's dq, dk, dv at [from, s) are the continued call's.
        Gradients eg = ReferenceCosineAttention.backward(causal, c.q(), c.k(), c.v(), c.mask(), c.m(), c.gradientFrom(r.from()));
        assertArrayEquals(new long[] {sh.n(), sh.h(), len, sh.dk()}, gr.dq().shape(), "dq shape");
        assertArrayEquals(new long[] {sh.n(), sh.h(), len, sh.dk()}, gr.dk().shape(), "dk shape");
        assertArrayEquals(new long[] {sh.n(), sh.h(), len, sh.dv()}, gr.dv().shape(), "dv shape");
        assertNotNull(gr.dm(), "cosine attention returns dm");
        assertEquals(sh.h(), gr.dm().length(), "dm shape (H)");
        assertEquals(dt, gr.dq().dataType());
        assertEquals(dt, gr.dm().dataType());
        assertClose("dq", slice(eg.dq(), r.from()), gr.dq(), tol);
        assertClose("dk", slice(eg.dk(), r.from()), gr.dk(), tol);
        assertClose("dv", slice(eg.dv(), r.from()), gr.dv(), tol);
        double[] dm = r.dmExpected() != null ? r.dmExpected() : eg.dm();
        double dmTol = r.dmExpected() != null ? Math.max(tol, 1e-7) : tol;   // central differences: ~1e-9 relative
        double err = RandomTensors.relativeError(Nd.toDoubles(gr.dm()), dm);
        assertTrue(err < dmTol, "dm relative error " + err + " >= " + dmTol);
    }

    /**
     * One long float32 case, s = 4100 (not a multiple of the chunk), d = 64: the chunked form against itself in
     * float64 and against the quadratic form in float64 (an independent order of evaluation), on the output, the
     * final state and every gradient. Measured on 2026-12-01: float32 within 2.7e-7 of float64 on each of them,
     * float64 chunked within 2e-15 of quadratic; the bounds leave a margin of about 40x and 500x.
     */
    @Test
    void longFloat32SequenceMatchesFloat64() {
        Shape sh = new Shape(1, 2, 4100, 64, 64, 64, "right");
        Case c = Case.of(sh, true);
        ChunkedCausalCosineAttention chunked = new ChunkedCausalCosineAttention();
        Result f32 = new Plain("f32", (x, y) -> chunked, false, true, true).run(c, true, DataType.FLOAT);
        Result f64 = new Plain("f64", (x, y) -> chunked, false, true, true).run(c, true, DataType.DOUBLE);
        Attention quadratic = new QuadraticCosineAttention(true);
        Attention.Forward qf = quadratic.forward(c.input(DataType.DOUBLE));
        AttentionGradients qg = quadratic.backward(qf, c.gradient(DataType.DOUBLE, 0, sh.s()));

        assertClose("float64 chunked vs quadratic output", qf.output(), f64.output(), 1e-12);
        assertClose("float64 chunked vs quadratic dq", qg.dq(), f64.grads().dq(), 1e-12);
        assertClose("float64 chunked vs quadratic dk", qg.dk(), f64.grads().dk(), 1e-12);
        assertClose("float64 chunked vs quadratic dv", qg.dv(), f64.grads().dv(), 1e-12);
        assertClose("float64 chunked vs quadratic dm", qg.dm(), f64.grads().dm(), 1e-12);

        double tol = 1e-5;
        assertClose("float32 output", f64.output(), f32.output(), tol);
        assertClose("float32 final state", f64.finalState().state(), f32.finalState().state(), tol);
        assertClose("float32 dq", f64.grads().dq(), f32.grads().dq(), tol);
        assertClose("float32 dk", f64.grads().dk(), f32.grads().dk(), tol);
        assertClose("float32 dv", f64.grads().dv(), f32.grads().dv(), tol);
        assertClose("float32 dm", f64.grads().dm(), f32.grads().dm(), tol);
    }
}
