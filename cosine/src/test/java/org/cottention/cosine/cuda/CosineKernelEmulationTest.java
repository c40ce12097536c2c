package org.cottention.cosine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.cottention.cosine.cuda.CosineKernels.HostGradients;
import org.cottention.cosine.cuda.CosineKernels.HostInput;
import org.cottention.cosine.cuda.CosineKernels.Shape;
import org.cottention.cuda.Device.Buffer;
import org.cottention.cuda.ElementType;
import org.cottention.cuda.HostArrays;
import org.cottention.cuda.Precision;
import org.cottention.cuda.emulation.EmulatedDevice;
import org.cottention.reference.Gradients;
import org.cottention.reference.RandomTensors;
import org.cottention.reference.ReferenceCosineAttention;
import org.cottention.reference.ReferenceRecurrentCosine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The cosine kernels' host code (CosineKernels) run on the CPU emulation (CosineKernelTwins) against the
 * double-precision reference: outputs, dq, dk, dv and dm, causal and bidirectional, every precision, over shapes
 * with several chunks and a partial last chunk, odd head sizes, dk != dv and all three padded widths. Checks the
 * chunk decomposition, the launch sequence and the index arithmetic without a GPU (not the CUDA code itself).
 */
class CosineKernelEmulationTest {
    static final int H100_SHARED = 232448, A100_SHARED = 166912;

    record Case(int n, int h, int s, int dk, int dv, String mask) {
        @Override
        public String toString() {
            return "N=" + n + " H=" + h + " s=" + s + " dk=" + dk + " dv=" + dv + " mask=" + mask;
        }
    }

    static Stream<Arguments> cases() {
        List<Case> shapes = List.of(
                new Case(2, 3, 150, 60, 60, "right"),
                new Case(1, 2, 1, 8, 8, "none"),
                new Case(3, 2, 50, 7, 5, "right"),
                new Case(2, 2, 23, 4, 6, "arbitrary"),
                new Case(1, 1, 70, 100, 128, "right"));
        List<Arguments> out = new ArrayList<>();
        for (Case c : shapes) {
            for (boolean causal : new boolean[] {true, false}) {
                for (Precision p : Precision.values()) {
                    if (c.dk() > 64 && p != Precision.F32_SIMT) continue; // the 128-wide emulation is slow; one is enough
                    out.add(Arguments.of(c, causal, p));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} causal={1} {2}")
    @MethodSource("cases")
    void matchesReference(Case c, boolean causal, Precision precision) {
        RandomTensors.AttentionCase x = RandomTensors.attentionCase(new Random(31L * c.s() + c.dk() + (causal ? 1 : 0)), c.n(), c.h(), c.s(),
                c.dk(), c.dv(), c.mask());
        double[][][][] q = x.q(), k = x.k(), v = x.v(), g = x.g();
        double[][] mask = x.mask();
        double[] m = x.m();
        boolean bf16 = precision.inputType() == ElementType.BF16;
        if (bf16) { // the reference sees what the kernel sees
            q = HostArrays.bf16(q);
            k = HostArrays.bf16(k);
            v = HostArrays.bf16(v);
            g = HostArrays.bf16(g);
        }
        CosineKernels kernels = new CosineKernels(CosineKernelTwins.device(H100_SHARED), precision);
        Shape shape = new Shape(c.n(), c.h(), c.s(), c.dk(), c.dv(), causal);
        HostInput in = new HostInput(shape, HostArrays.flat(q), HostArrays.flat(k), HostArrays.flat(v),
                HostArrays.flat(mask), HostArrays.flat(m));
        float[] out = kernels.forward(in);
        HostGradients grads = kernels.backward(in, HostArrays.flat(g));

        double tol = bf16 ? 5e-3 : 1e-5;
        double[][][][] expected = ReferenceCosineAttention.forward(causal, q, k, v, mask, m);
        Gradients eg = ReferenceCosineAttention.backward(causal, q, k, v, mask, m, g);
        assertClose("output", expected, out, c.dv(), tol);
        assertClose("dq", eg.dq(), grads.dq(), c.dk(), tol);
        assertClose("dk", eg.dk(), grads.dk(), c.dk(), tol);
        assertClose("dv", eg.dv(), grads.dv(), c.dv(), tol);
        double err = RandomTensors.relativeError(grads.dm(), eg.dm());
        assertTrue(err < tol, "dm relative error " + err + " >= " + tol);
    }

    static void assertClose(String what, double[][][][] expected, float[] actual, int d, double tol) {
        double err = HostArrays.error(expected, actual, d);
        assertTrue(err < tol, what + " error " + err + " >= " + tol);
    }

    @Test
    void planPicksWidthAndChunkBySharedMemory() {
        CosineKernels h100 = new CosineKernels(CosineKernelTwins.device(H100_SHARED), Precision.F32_SIMT);
        CosineKernels a100 = new CosineKernels(CosineKernelTwins.device(A100_SHARED), Precision.F32_SIMT);
        assertEquals(32, h100.plan(new Shape(1, 1, 10, 3, 32, true)).width());
        assertEquals(64, h100.plan(new Shape(1, 1, 10, 33, 64, true)).width());
        CosineKernels.Plan big = h100.plan(new Shape(1, 1, 1000, 128, 128, true));
        assertEquals(128, big.width());
        assertEquals(64, big.chunk());
        assertEquals(16, big.chunks());
        assertEquals(32, a100.plan(new Shape(1, 1, 1000, 128, 128, true)).chunk(), "A100: 128-wide backward needs C = 32");
        assertEquals("cos_bwd_f32_simt_d64_c64", h100.plan(new Shape(2, 16, 100, 64, 64, true)).backward());
        assertThrows(IllegalArgumentException.class, () -> h100.plan(new Shape(1, 1, 10, 129, 64, true)));
    }

    @Test
    void smallChunkInstanceMatchesReference() {
        // D = 128 with C = 32, as chosen on an A100.
        Random rng = new Random(5);
        int n = 1, h = 1, s = 45, d = 128;
        double[][][][] q = RandomTensors.normal(rng, n, h, s, d), k = RandomTensors.normal(rng, n, h, s, d);
        double[][][][] v = RandomTensors.normal(rng, n, h, s, d), g = RandomTensors.normal(rng, n, h, s, d);
        double[] m = RandomTensors.stabilizer(rng, h);
        CosineKernels kernels = new CosineKernels(CosineKernelTwins.device(A100_SHARED), Precision.F32_SIMT);
        Shape shape = new Shape(n, h, s, d, d, true);
        assertEquals(32, kernels.plan(shape).chunk());
        HostInput in = new HostInput(shape, HostArrays.flat(q), HostArrays.flat(k), HostArrays.flat(v), null, HostArrays.flat(m));
        assertClose("output", ReferenceCosineAttention.forward(true, q, k, v, null, m), kernels.forward(in), d, 1e-5);
        HostGradients gr = kernels.backward(in, HostArrays.flat(g));
        assertClose("dk", ReferenceCosineAttention.backward(true, q, k, v, null, m, g).dk(), gr.dk(), d, 1e-5);
    }

    @Test
    void stateCarriesAcrossCallsAndDecodeStepsMatchTheRecurrence() {
        int n = 2, h = 3, s = 29, dk = 6, dv = 5, split = 13;
        Random rng = new Random(41);
        double[][][][] q = RandomTensors.normal(rng, n, h, s, dk), k = RandomTensors.normal(rng, n, h, s, dk);
        double[][][][] v = RandomTensors.normal(rng, n, h, s, dv);
        double[][] mask = RandomTensors.arbitrary(rng, n, s);
        double[] m = RandomTensors.stabilizer(rng, h);
        EmulatedDevice dev = CosineKernelTwins.device(H100_SHARED);
        CosineKernels kernels = new CosineKernels(dev, Precision.F32_SIMT);
        double[][][][] expected = ReferenceCosineAttention.forward(true, q, k, v, mask, m);

        // Prompt of `split` tokens through the chunked form, its final state handed to the rest.
        CosineKernels.StatefulOutput first = kernels.forward(slice(n, h, q, k, v, mask, m, 0, split, dk, dv), null, null);
        float[] counts = new float[n];
        for (int b = 0; b < n; b++) for (int t = 0; t < split; t++) counts[b] += (float) mask[b][t];
        ReferenceRecurrentCosine ref = new ReferenceRecurrentCosine(n, h, dk, dv, m);
        ref.append(cut(q, 0, split), cut(k, 0, split), cut(v, 0, split), cutMask(mask, 0, split));
        double[][][][] refState = ref.state();
        for (int b = 0; b < n * h; b++) for (int a = 0; a < dv; a++) for (int e = 0; e < dk; e++) {
            assertEquals(refState[b / h][b % h][a][e], first.finalState()[(b * dv + a) * dk + e], 1e-5, "final state");
        }
        CosineKernels.StatefulOutput rest = kernels.forward(slice(n, h, q, k, v, mask, m, split, s - split, dk, dv),
                first.finalState(), counts);
        double[][][][] tail = HostArrays.nested(rest.out(), n, h, s - split, dv);
        for (int b = 0; b < n; b++) for (int hh = 0; hh < h; hh++) for (int t = split; t < s; t++) for (int e = 0; e < dv; e++) {
            assertEquals(expected[b][hh][t][e], tail[b][hh][t - split][e], 1e-5, "continued chunk at t=" + t);
        }

        // The same continuation one token at a time with cos_decode_step.
        try (Buffer state = dev.alloc(ElementType.F64, (long) n * h * dv * dk);
             Buffer mb = dev.alloc(ElementType.F32, h); Buffer qb = dev.alloc(ElementType.F32, n * h * dk);
             Buffer kb = dev.alloc(ElementType.F32, n * h * dk); Buffer vb = dev.alloc(ElementType.F32, n * h * dv);
             Buffer pb = dev.alloc(ElementType.F32, n); Buffer cb = dev.alloc(ElementType.F32, n);
             Buffer ob = dev.alloc(ElementType.F32, n * h * dv)) {
            dev.upload(state, first.finalState());
            dev.upload(mb, HostArrays.flat(m));
            for (int t = split; t < s; t++) {
                HostInput one = slice(n, h, q, k, v, mask, m, t, 1, dk, dv);
                dev.upload(qb, one.q());
                dev.upload(kb, one.k());
                dev.upload(vb, one.v());
                dev.upload(pb, one.mask());
                for (int b = 0; b < n; b++) counts[b] += one.mask()[b];
                dev.upload(cb, counts);
                kernels.decodeStep(n, h, dk, dv, qb, kb, vb, pb, cb, mb, state, ob);
                float[] o = new float[n * h * dv];
                dev.download(ob, o);
                for (int b = 0; b < n * h; b++) for (int e = 0; e < dv; e++) {
                    assertEquals(expected[b / h][b % h][t][e], o[b * dv + e], 1e-5, "decode step t=" + t);
                }
            }
        }
    }

    private static HostInput slice(int n, int h, double[][][][] q, double[][][][] k, double[][][][] v, double[][] mask,
                                   double[] m, int from, int len, int dk, int dv) {
        return new HostInput(new Shape(n, h, len, dk, dv, true), HostArrays.flat(cut(q, from, len)),
                HostArrays.flat(cut(k, from, len)), HostArrays.flat(cut(v, from, len)), HostArrays.flat(cutMask(mask, from, len)),
                HostArrays.flat(m));
    }

    private static double[][][][] cut(double[][][][] x, int from, int len) {
        double[][][][] out = new double[x.length][x[0].length][len][];
        for (int b = 0; b < x.length; b++) for (int h = 0; h < x[0].length; h++)
            for (int t = 0; t < len; t++) out[b][h][t] = x[b][h][from + t].clone();
        return out;
    }

    private static double[][] cutMask(double[][] mask, int from, int len) {
        double[][] out = new double[mask.length][len];
        for (int b = 0; b < mask.length; b++) System.arraycopy(mask[b], from, out[b], 0, len);
        return out;
    }
}
