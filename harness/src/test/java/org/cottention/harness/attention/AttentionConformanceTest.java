package org.cottention.harness.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.cottention.api.Attention;
import org.cottention.api.AttentionGradients;
import org.cottention.api.AttentionInput;
import org.cottention.api.AttentionKind;
import org.cottention.api.Nd;
import org.cottention.api.cuda.CudaRuntime;
import org.cottention.reference.Gradients;
import org.cottention.reference.RandomTensors;
import org.cottention.reference.ReferenceCosineAttention;
import org.cottention.reference.ReferenceSoftmaxAttention;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Every registered implementation against the double-precision reference, on the output and every gradient
 * (dq, dk, dv and, for cosine, dm), in float32 (relative error < 1e-5) and float64 (< 1e-10), over shapes with
 * odd head sizes (d = 60, 7, 3), s = 1, lengths that are not a multiple of the chunk, chunk = 1 and chunk > s,
 * dk != dv, right-padded batches and arbitrary masks. The CUDA implementations run in float32 only, and are
 * reported as skipped where there is no GPU.
 */
class AttentionConformanceTest {

    /** N, H, s, dk, dv, chunk, mask kind. */
    private record Shape(int n, int h, int s, int dk, int dv, int chunk, String mask) {
        @Override
        public String toString() {
            return "N=" + n + " H=" + h + " s=" + s + " dk=" + dk + " dv=" + dv + " C=" + chunk + " mask=" + mask;
        }
    }

    private static final List<Shape> SHAPES = List.of(
            new Shape(2, 3, 37, 60, 60, 16, "right"),
            new Shape(1, 2, 1, 8, 8, 4, "none"),
            new Shape(3, 2, 50, 7, 5, 8, "right"),
            new Shape(2, 1, 64, 16, 16, 64, "none"),
            new Shape(2, 2, 23, 4, 6, 1, "arbitrary"),
            new Shape(1, 1, 5, 64, 64, 64, "right"),
            new Shape(2, 2, 70, 3, 3, 32, "right"));

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (AttentionRegistry.Entry e : AttentionRegistry.all()) {
            if (e.name().endsWith("-reference")) continue; // the oracle itself
            for (boolean causal : new boolean[] {false, true}) {
                if (!e.supports(causal)) continue;
                for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
                    if (e.gpu() && dt != DataType.FLOAT) continue; // the CUDA kernels compute in float32
                    for (Shape shape : SHAPES) out.add(Arguments.of(e.name(), causal, dt, shape));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} causal={1} {2} {3}")
    @MethodSource("cases")
    void matchesReference(String impl, boolean causal, DataType dt, Shape sh) {
        Random rng = new Random(1000L * sh.s() + 10L * sh.dk() + sh.n() + (causal ? 7 : 0));
        double[][][][] q = RandomTensors.normal(rng, sh.n(), sh.h(), sh.s(), sh.dk());
        double[][][][] k = RandomTensors.normal(rng, sh.n(), sh.h(), sh.s(), sh.dk());
        double[][][][] v = RandomTensors.normal(rng, sh.n(), sh.h(), sh.s(), sh.dv());
        double[][][][] g = RandomTensors.normal(rng, sh.n(), sh.h(), sh.s(), sh.dv());
        double[][] mask = switch (sh.mask()) {
            case "right" -> RandomTensors.rightPadded(rng, sh.n(), sh.s());
            case "arbitrary" -> RandomTensors.arbitrary(rng, sh.n(), sh.s());
            default -> null;
        };
        double[] m = RandomTensors.stabilizer(rng, sh.h());

        AttentionRegistry.Entry entry = AttentionRegistry.find(impl).orElseThrow();
        assumeTrue(!entry.gpu() || CudaRuntime.available(), () -> impl + ": no CUDA device/driver ("
                + CudaRuntime.unavailableReason() + ")");
        Attention attention = entry.create(causal, sh.chunk());
        assertEquals(causal, attention.causal());
        AttentionInput in = new AttentionInput(Nd.fromArray4(q, dt), Nd.fromArray4(k, dt), Nd.fromArray4(v, dt),
                mask == null ? null : Nd.fromArray2(mask, dt), Nd.fromDoubles(m, dt, sh.h()));
        Attention.Forward fwd = attention.forward(in);
        AttentionGradients grads = attention.backward(fwd, Nd.fromArray4(g, dt));

        boolean cosine = entry.kind() == AttentionKind.COSINE;
        double[][][][] expected = cosine ? ReferenceCosineAttention.forward(causal, q, k, v, mask, m)
                : ReferenceSoftmaxAttention.forward(causal, q, k, v, mask);
        Gradients expectedGrads = cosine ? ReferenceCosineAttention.backward(causal, q, k, v, mask, m, g)
                : ReferenceSoftmaxAttention.backward(causal, q, k, v, mask, g);

        double tol = dt == DataType.FLOAT ? 1e-5 : 1e-10;
        assertEquals(dt, fwd.output().dataType());
        assertArrayEquals(new long[] {sh.n(), sh.h(), sh.s(), sh.dv()}, fwd.output().shape());
        // GPU kernels sum in other orders: where an exact gradient is 0 (softmax over one key) they leave ~1e-8, so
        // their error is relative above norm 1 and absolute below it.
        double floor = entry.gpu() ? 1.0 : 1e-300;
        assertClose("output", expected, fwd.output(), tol, floor);
        assertClose("dq", expectedGrads.dq(), grads.dq(), tol, floor);
        assertClose("dk", expectedGrads.dk(), grads.dk(), tol, floor);
        assertClose("dv", expectedGrads.dv(), grads.dv(), tol, floor);
        if (cosine) {
            assertEquals(dt, grads.dm().dataType());
            double err = RandomTensors.relativeError(Nd.toDoubles(grads.dm()), expectedGrads.dm());
            assertTrue(err < tol, "dm relative error " + err + " >= " + tol);
        } else {
            assertNull(grads.dm());
        }
    }

    /** ||actual - expected|| / max(||expected||, floor) < tol. */
    static void assertClose(String what, double[][][][] expected, INDArray actual, double tol, double floor) {
        assertEquals(expected.length, actual.size(0));
        double norm = Math.sqrt(RandomTensors.inner(expected, expected));
        double err = RandomTensors.relativeError(Nd.toArray4(actual), expected) * Math.max(norm, 1e-300)
                / Math.max(norm, floor);
        assertTrue(err < tol, what + " relative error " + err + " >= " + tol);
    }
}
