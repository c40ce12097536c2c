package org.cottention.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The float32 kernels never hand a subnormal to the next operation (Float32Lanes says why: Intel cores run
 * hundreds of times slower on them): exp is 0 below its range, and softmax, its backward and the cross-entropy
 * gradient flush what their scaling pushes below the smallest normal float. Values that are normal stay as they
 * were.
 */
class SubnormalFlushTest {
    private static void assertNoSubnormal(String what, float[] a, int n) {
        for (int i = 0; i < n; i++) {
            float x = Math.abs(a[i]);
            assertTrue(x == 0 || x >= Float.MIN_NORMAL, what + "[" + i + "] = " + a[i] + " is subnormal");
        }
    }

    private static float exp(float x) {
        float[] lanes = new float[Float32Lanes.F.length()];
        Float32Lanes.exp(FloatVector.broadcast(Float32Lanes.F, x)).intoArray(lanes, 0);
        return lanes[0];
    }

    @Test
    void expIsZeroBelowItsRangeAndNormalWithin() {
        for (float x : new float[] {-1000f, -104f, -95f, -87.31f}) assertEquals(0f, exp(x), "exp(" + x + ")");
        for (float x : new float[] {-87.3f, -87f, -50f, -1f, 0f, 3f, 88f}) {
            assertEquals(Math.exp(x), exp(x), 2e-7 * Math.exp(x), "exp(" + x + ")");
            assertTrue(exp(x) >= Float.MIN_NORMAL, "exp(" + x + ") is normal");
        }
    }

    /** 16 keys at the maximum and one 87.2 below it: its probability, exp(-87.2) / 16, would be subnormal. */
    @Test
    void softmaxAndItsBackwardFlush() {
        int keys = 17, n = Float32Lanes.padded(keys);
        float[] row = new float[n], allowed = new float[n];
        Arrays.fill(allowed, 0, keys, 1f);
        row[16] = -87.2f;
        Float32Lanes.softmaxRow(row, keys, keys, allowed);
        assertNoSubnormal("p", row, keys);
        assertEquals(0f, row[16]);
        for (int j = 0; j < 16; j++) assertEquals(1f / 16, row[j], 1e-7f);

        float[] p = new float[n], d = new float[n];
        Arrays.fill(p, 0, keys, 1e-37f);
        p[0] = 1f;
        Arrays.fill(d, 0, keys, 1e-3f);
        d[0] = 0f;                               // dot = p . d ~ 1.6e-39; p_j (d_j - dot) = 1e-40 for j > 0
        Float32Lanes.softmaxBackwardRow(d, p, null, keys, 1f);
        assertNoSubnormal("dS", d, keys);
        assertEquals(0f, d[5]);
    }

    @Test
    void crossEntropyGradientFlushes() {
        int c = 17, n = Float32Lanes.padded(c);
        float[] z = new float[n], grad = new float[n];
        z[16] = -87.2f;
        double loss = Float32Lanes.softmaxCrossEntropy(z, new int[] {0}, 0, 0.25f, grad, new int[1], 1, c);
        assertEquals(Math.log(16), loss, 1e-6);
        assertNoSubnormal("dz", grad, c);
        assertEquals(0f, grad[16]);
        assertEquals(0.25f / 16 - 0.25f, grad[0], 1e-7f);
        assertEquals(0.25f / 16, grad[1], 1e-7f);
    }
}
