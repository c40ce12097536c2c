package org.cottention.cuda.emulation;

import org.cottention.cuda.Precision;

/**
 * Java twins of the block-level routines in cuda/src/main/cuda/cottention_common.cuh, for the CPU
 * emulation of the kernels. Shared-memory tiles are float[] arrays addressed with the same offsets and strides
 * as on the GPU; a routine that the 256 threads of a block share is one loop over all the elements they cover.
 * Products round their operands as the tensor cores do (TF32: 10 explicit mantissa bits), so a twin sees the
 * same precision as its kernel, up to the order of additions.
 */
public final class BlockOps {
    private BlockOps() {}

    /** The kernels' NORM_EPS: torch.nn.functional.normalize's eps. */
    public static final float NORM_EPS = 1e-12f;

    /**
     * o (M x N) = (accumulate ? o : 0) + X Y with X(i, k) = x[xo + i ldx + k] (or x[xo + k ldx + i] when ta) and
     * Y(k, j) = y[yo + k ldy + j] (or y[yo + j ldy + k] when tb); o(i, j) = o[oo + i ldo + j]. Same shape rules as
     * block_gemm: M, N multiples of 16 and K of 8.
     */
    public static void gemm(Precision precision, boolean ta, boolean tb, int m, int n, int k, float[] x, int xo,
                            int ldx, float[] y, int yo, int ldy, float[] o, int oo, int ldo, boolean accumulate) {
        if (m % 16 != 0 || n % 16 != 0 || k % 8 != 0) {
            throw new IllegalArgumentException("block_gemm shape " + m + " x " + n + " x " + k);
        }
        float[] acc = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float sum = accumulate ? o[oo + i * ldo + j] : 0f;
                for (int kk = 0; kk < k; kk++) {
                    float a = ta ? x[xo + kk * ldx + i] : x[xo + i * ldx + kk];
                    float b = tb ? y[yo + j * ldy + kk] : y[yo + kk * ldy + j];
                    sum = multiplyAdd(precision, a, b, sum);
                }
                acc[i * n + j] = sum;
            }
        }
        // Written only after every product is done: on the GPU the output is never one of the inputs either.
        for (int i = 0; i < m; i++) System.arraycopy(acc, i * n, o, oo + i * ldo, n);
    }

    private static float multiplyAdd(Precision precision, float a, float b, float acc) {
        switch (precision) {
            case F32_SIMT:
                return Math.fma(a, b, acc);
            case F32_TF32X3: {
                float ah = tf32(a), al = tf32(a - ah), bh = tf32(b), bl = tf32(b - bh);
                return acc + al * bh + ah * bl + ah * bh;
            }
            default:
                return acc + tf32(a) * tf32(b);
        }
    }

    /** Rounds to TF32 (1 sign, 8 exponent, 10 mantissa bits), nearest, ties to even, as a float. */
    public static float tf32(float x) {
        if (Float.isNaN(x) || Float.isInfinite(x)) return x;
        int bits = Float.floatToRawIntBits(x);
        int rounded = bits + 0xFFF + ((bits >>> 13) & 1);
        return Float.intBitsToFloat(rounded & ~0x1FFF);
    }

    /** load_rows: rows t0 .. t0 + r - 1 of a (rows x d) matrix at x[base ..] into tile[to ..] (r x dPad, stride ld). */
    public static void loadRows(float[] tile, int to, int ld, float[] x, long base, int t0, int rows, int d, int r,
                                int dPad) {
        for (int idx = 0; idx < r * dPad; idx++) {
            int i = idx / dPad, e = idx % dPad, t = t0 + i;
            tile[to + i * ld + e] = t < rows && e < d ? x[Math.toIntExact(base + (long) t * d + e)] : 0f;
        }
    }

    /** store_rows: rows t0 .. (those < rows), columns < d of a (r x dPad) tile, times scale, into out[base ..]. */
    public static void storeRows(float[] tile, int to, int ld, float[] out, long base, int t0, int rows, int d, int r,
                                 int dPad, float scale) {
        for (int idx = 0; idx < r * dPad; idx++) {
            int i = idx / dPad, e = idx % dPad, t = t0 + i;
            if (t < rows && e < d) out[Math.toIntExact(base + (long) t * d + e)] = scale * tile[to + i * ld + e];
        }
    }

    /** zero_tile. */
    public static void zeroTile(float[] tile, int to, int ld, int r, int dPad) {
        for (int idx = 0; idx < r * dPad; idx++) tile[to + (idx / dPad) * ld + idx % dPad] = 0f;
    }

    /** A fresh shared-memory block: NaN everywhere, so that reading a value never written shows up. */
    public static float[] sharedMemory(int floats) {
        float[] s = new float[floats];
        java.util.Arrays.fill(s, Float.NaN);
        return s;
    }
}
