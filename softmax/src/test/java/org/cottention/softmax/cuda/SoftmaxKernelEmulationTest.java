package org.cottention.softmax.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.cottention.cuda.ElementType;
import org.cottention.cuda.HostArrays;
import org.cottention.cuda.Precision;
import org.cottention.reference.Gradients;
import org.cottention.reference.RandomTensors;
import org.cottention.reference.ReferenceSoftmaxAttention;
import org.cottention.softmax.cuda.SoftmaxKernels.Form;
import org.cottention.softmax.cuda.SoftmaxKernels.HostGradients;
import org.cottention.softmax.cuda.SoftmaxKernels.HostInput;
import org.cottention.softmax.cuda.SoftmaxKernels.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The softmax kernels' host code (SoftmaxKernels) on the CPU emulation (SoftmaxKernelTwins) against the
 * double-precision reference: naive and flash forms, causal and bidirectional, outputs and dq, dk, dv, shapes with
 * several tiles, partial tiles, odd head sizes, dk != dv, padding masks with fully masked rows, and queries at an
 * offset (decoding). Checks the tiling, the online softmax and the launch sequence without a GPU.
 */
class SoftmaxKernelEmulationTest {
    static final int H100_SHARED = 232448;

    record Case(int n, int h, int s, int dk, int dv, String mask) {
        @Override
        public String toString() {
            return "N=" + n + " H=" + h + " s=" + s + " dk=" + dk + " dv=" + dv + " mask=" + mask;
        }
    }

    static Stream<Arguments> cases() {
        List<Case> shapes = List.of(
                new Case(2, 2, 150, 60, 60, "right"),
                new Case(1, 2, 1, 8, 8, "none"),
                new Case(3, 2, 50, 7, 5, "right"),
                new Case(2, 2, 23, 4, 6, "arbitrary"),
                new Case(1, 1, 70, 100, 128, "right"));
        List<Arguments> out = new ArrayList<>();
        for (Case c : shapes) {
            for (boolean causal : new boolean[] {true, false}) {
                for (Form form : Form.values()) {
                    for (Precision p : Precision.values()) {
                        if (form == Form.NAIVE && p == Precision.BF16_TF32) continue; // float32 only
                        if (c.dk() > 64 && p != Precision.F32_SIMT) continue;      // slow to emulate; one is enough
                        out.add(Arguments.of(c, causal, form, p));
                    }
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} causal={1} {2} {3}")
    @MethodSource("cases")
    void matchesReference(Case c, boolean causal, Form form, Precision precision) {
        RandomTensors.AttentionCase x = RandomTensors.attentionCase(new Random(17L * c.s() + c.dk() + (causal ? 1 : 0)), c.n(), c.h(), c.s(),
                c.dk(), c.dv(), c.mask());
        double[][][][] q = x.q(), k = x.k(), v = x.v(), g = x.g();
        double[][] mask = x.mask();
        boolean bf16 = precision.inputType() == ElementType.BF16;
        if (bf16) {
            q = HostArrays.bf16(q);
            k = HostArrays.bf16(k);
            v = HostArrays.bf16(v);
            g = HostArrays.bf16(g);
        }
        SoftmaxKernels kernels = new SoftmaxKernels(SoftmaxKernelTwins.device(H100_SHARED), precision);
        HostInput in = new HostInput(Shape.self(c.n(), c.h(), c.s(), c.dk(), c.dv(), causal), HostArrays.flat(q),
                HostArrays.flat(k), HostArrays.flat(v), HostArrays.flat(mask));
        float[] out = kernels.forward(in, form);
        HostGradients grads = kernels.backward(in, HostArrays.flat(g), form);

        double tol = bf16 ? 5e-3 : 1e-5;
        Gradients eg = ReferenceSoftmaxAttention.backward(causal, q, k, v, mask, g);
        assertClose("output", ReferenceSoftmaxAttention.forward(causal, q, k, v, mask), out, c.dv(), tol);
        assertClose("dq", eg.dq(), grads.dq(), c.dk(), tol);
        assertClose("dk", eg.dk(), grads.dk(), c.dk(), tol);
        assertClose("dv", eg.dv(), grads.dv(), c.dv(), tol);
    }

    static void assertClose(String what, double[][][][] expected, float[] actual, int d, double tol) {
        double err = HostArrays.error(expected, actual, d);
        assertTrue(err < tol, what + " error " + err + " >= " + tol);
    }

    @Test
    void queriesAtAnOffsetSeeThePrefix() {
        // The last L queries against all S keys (a KV cache): rows S-L .. S-1 of the causal self-attention.
        int n = 2, h = 2, s = 90, dk = 16, dv = 12;
        Random rng = new Random(3);
        double[][][][] q = RandomTensors.normal(rng, n, h, s, dk), k = RandomTensors.normal(rng, n, h, s, dk);
        double[][][][] v = RandomTensors.normal(rng, n, h, s, dv);
        double[][] mask = RandomTensors.arbitrary(rng, n, s);
        double[][][][] full = ReferenceSoftmaxAttention.forward(true, q, k, v, mask);
        SoftmaxKernels kernels = new SoftmaxKernels(SoftmaxKernelTwins.device(H100_SHARED), Precision.F32_SIMT);
        for (int len : new int[] {1, 7}) {
            double[][][][] last = new double[n][h][len][];
            for (int b = 0; b < n; b++) for (int hh = 0; hh < h; hh++) for (int t = 0; t < len; t++) last[b][hh][t] = q[b][hh][s - len + t];
            HostInput in = new HostInput(new Shape(n, h, len, s, dk, dv, true, s - len), HostArrays.flat(last),
                    HostArrays.flat(k), HostArrays.flat(v), HostArrays.flat(mask));
            for (Form form : Form.values()) {
                double[][][][] got = HostArrays.nested(kernels.forward(in, form), n, h, len, dv);
                for (int b = 0; b < n; b++) for (int hh = 0; hh < h; hh++) for (int t = 0; t < len; t++) for (int e = 0; e < dv; e++) {
                    assertEquals(full[b][hh][s - len + t][e], got[b][hh][t][e], 1e-5, form + " L=" + len + " t=" + t);
                }
            }
        }
    }

    @Test
    void naiveFormIsFloat32Only() {
        SoftmaxKernels kernels = new SoftmaxKernels(SoftmaxKernelTwins.device(H100_SHARED), Precision.BF16_TF32);
        assertThrows(IllegalArgumentException.class, () -> kernels.plan(Shape.self(1, 1, 8, 8, 8, true), Form.NAIVE));
        assertEquals(32, kernels.plan(Shape.self(1, 1, 8, 128, 8, true), Form.FLASH).tile());
    }
}
