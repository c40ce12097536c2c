package org.cottention.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fused layer kernels for float32 on the JDK Vector API (jdk.incubator.vector): SIMD lanes of the machine's
 * preferred width (16 floats with AVX-512), a masked tail. The same formulas as {@link Float64Loops}, which the
 * tests hold this to (within float32 rounding).
 *
 * <p>Bit-identical results over time are a requirement (a run resumed in a fresh JVM must repeat the uninterrupted
 * run exactly), and the Vector API does not give them for everything: a lane reduction of floats may sum in an
 * order that "varies over time", and the EXP and TANH lane operators may round differently in interpreted and
 * JIT-compiled code (both are only specified to within an ulp; measured here: two identical training runs in one
 * JVM differed). So this class uses only lane operations IEEE 754 defines exactly (add, mul, fma, div, sqrt, integer
 * and bit operations): {@link #exp} is a Cody-Waite range reduction with Cephes' degree-6 polynomial (about 1 ulp),
 * tanh is 1 - 2 / (exp(2u) + 1), erf is the Numerical Recipes erfc approximation (relative error below 1.2e-7),
 * and lane sums are taken in a fixed order ({@link #sum}).
 *
 * <p>No kernel here returns a subnormal float from exp or from what scales it ({@link #flush}): Intel cores take a
 * microcode assist for every operation on one. Measured on a Xeon (family 6, model 207), 2026-12-06: a 512^3
 * float32 product took 750 ms with subnormal inputs against 3.6 ms with normal ones, and the softmax GPT runs of
 * the learning-rate sweep at 1e-2 and 3e-2, whose attention probabilities underflow, took 4-7x as long as on an AMD
 * core (529 and 925 s against 135 and 128). The JVM has no flush-to-zero mode, so the kernels flush themselves.
 */
final class Float32Lanes {
    private Float32Lanes() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final float K = (float) Float64Loops.GELU_K, C = (float) Float64Loops.GELU_C;
    private static final float INV_SQRT2 = (float) Float64Loops.INV_SQRT2, INV_SQRT_2PI = (float) Float64Loops.INV_SQRT_2PI;

    private static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding and subtracting it rounds a float to the nearest integer (|x| < 2^22). */
    private static final float ROUNDER = 12582912f;

    /** 2^23 + 127: added to an integer-valued float k in [-126, 127], leaves k + 127 in the low mantissa bits. */
    private static final float EXPONENT_BIAS = 8388608f + 127f;

    /**
     * exp(x) lane-wise, deterministic: x = k ln2 + r, |r| <= ln2 / 2, exp(r) by Cephes' expf polynomial, 2^k built in
     * the exponent bits (x clamped to [-87.3, 88.3], where k stays in [-126, 127]); below -87.3 the result is 0
     * (exp(-87.3) = 1.2e-38 is about the smallest normal float: no subnormal results). No float-to-int conversion:
     * it is not compiled to vector code on every CPU (measured: 2.5 ns a lane instead of 0.3).
     */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(-87.3f).min(88.3f);
        FloatVector fk = xc.mul(LOG2E).add(ROUNDER).sub(ROUNDER);
        FloatVector r = fk.mul(-LN2_HI).add(xc).sub(fk.mul(LN2_LO));
        FloatVector p = r.mul(1.9875691500e-4f).add(1.3981999507e-3f).mul(r).add(8.3334519073e-3f).mul(r)
                .add(4.1665795894e-2f).mul(r).add(1.6666665459e-1f).mul(r).add(5.0000001201e-1f).mul(r).mul(r).add(r)
                .add(1f);
        IntVector biased = fk.add(EXPONENT_BIAS).reinterpretAsInts();              // k + 127 in bits 0..7
        FloatVector scale = biased.lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(scale).blend(0f, x.compare(VectorOperators.LT, -87.3f));
    }

    /** v with every lane smaller in magnitude than the smallest normal float (1.18e-38) set to 0. */
    static FloatVector flush(FloatVector v) {
        return v.blend(0f, v.abs().compare(VectorOperators.LT, Float.MIN_NORMAL));
    }

    /** tanh(u) = 1 - 2 / (exp(2u) + 1), u clamped to [-9, 9] (tanh(9) = 1 in float32). */
    static FloatVector tanh(FloatVector u) {
        FloatVector e = exp(u.max(-9f).min(9f).mul(2f));
        return FloatVector.broadcast(F, 1f).sub(FloatVector.broadcast(F, 2f).div(e.add(1f)));
    }

    /** The sum of v's lanes from the first to the last: the same order every time (lanes: scratch of F.length()). */
    static float sum(FloatVector v, float[] lanes) {
        v.intoArray(lanes, 0);
        float s = 0;
        for (int i = 0; i < lanes.length; i++) s += lanes[i];
        return s;
    }

    private static final int L = F.length();

    /** Rounds n up to whole vectors: the elementwise kernels' arrays hold at least this many elements. */
    static int padded(int n) {
        return (n + L - 1) / L * L;
    }

    /*
     * The elementwise kernels run whole vectors up to padded(n): lanes past n compute on whatever the arrays hold
     * there and their results are never read (FusedLayers copies back n elements only). Masked loads and stores
     * cost about twice as much (measured), so only the row kernels, whose rows sit side by side, use them, and only
     * for a row's last partial vector.
     */

    static void geluTanhForward(float[] x, float[] y, float[] t, int n) {
        for (int i = 0; i < n; i += L) {
            FloatVector xv = FloatVector.fromArray(F, x, i);
            FloatVector tv = tanh(xv.mul(xv).mul(C).add(1f).mul(xv).mul(K));
            tv.intoArray(t, i);
            tv.add(1f).mul(xv).mul(0.5f).intoArray(y, i);
        }
    }

    static void geluTanhBackward(float[] dy, float[] x, float[] t, float[] dx, int n) {
        for (int i = 0; i < n; i += L) {
            FloatVector xv = FloatVector.fromArray(F, x, i), tv = FloatVector.fromArray(F, t, i);
            FloatVector inner = xv.mul(xv).mul(3 * C).add(1f).mul(K);
            FloatVector second = tv.mul(tv).neg().add(1f).mul(inner).mul(xv).mul(0.5f);
            tv.add(1f).mul(0.5f).add(second).mul(FloatVector.fromArray(F, dy, i)).intoArray(dx, i);
        }
    }

    static void geluErfForward(float[] x, float[] y, float[] e, int n) {
        for (int i = 0; i < n; i += L) {
            FloatVector xv = FloatVector.fromArray(F, x, i);
            FloatVector ev = erf(xv.mul(INV_SQRT2));
            ev.intoArray(e, i);
            ev.add(1f).mul(xv).mul(0.5f).intoArray(y, i);
        }
    }

    static void geluErfBackward(float[] dy, float[] x, float[] e, float[] dx, int n) {
        for (int i = 0; i < n; i += L) {
            FloatVector xv = FloatVector.fromArray(F, x, i), ev = FloatVector.fromArray(F, e, i);
            FloatVector phi = exp(xv.mul(xv).mul(-0.5f)).mul(INV_SQRT_2PI);
            ev.add(1f).mul(0.5f).add(xv.mul(phi)).mul(FloatVector.fromArray(F, dy, i)).intoArray(dx, i);
        }
    }

    /** Lanes j .. j+L of a row of width w that lie inside it (all of them but in the row's last partial vector). */
    private static VectorMask<Float> inRow(int j, int w) {
        return F.indexInRange(j, w);
    }

    /** The vector at row offset o, column j of a row of width w: zeros past the row's end. */
    private static FloatVector load(float[] a, int o, int j, int w) {
        return j + L <= w ? FloatVector.fromArray(F, a, o + j) : FloatVector.fromArray(F, a, o + j, inRow(j, w));
    }

    /** Stores the lanes of v that lie inside the row. */
    private static void store(FloatVector v, float[] a, int o, int j, int w) {
        if (j + L <= w) v.intoArray(a, o + j);
        else v.intoArray(a, o + j, inRow(j, w));
    }

    /** erf(z) = sign(z) (1 - erfc(|z|)), erfc(a) = t exp(-a^2 + P(t)), t = 1 / (1 + a / 2) (Numerical Recipes). */
    static FloatVector erf(FloatVector z) {
        FloatVector a = z.abs();
        FloatVector t = FloatVector.broadcast(F, 1f).div(a.mul(0.5f).add(1f));
        FloatVector p = t.mul(0.17087277f).add(-0.82215223f).mul(t).add(1.48851587f).mul(t).add(-1.13520398f).mul(t)
                .add(0.27886807f).mul(t).add(-0.18628806f).mul(t).add(0.09678418f).mul(t).add(0.37409196f).mul(t)
                .add(1.00002368f).mul(t).add(-1.26551223f);
        FloatVector erfc = t.mul(exp(a.mul(a).neg().add(p)));
        FloatVector r = erfc.neg().add(1f);
        return r.blend(r.neg(), z.lt(0f));
    }

    static void layerNormForward(float[] x, float[] gamma, float[] beta, float eps, float[] y, float[] xhat,
                                 float[] rstd, int rows, int w) {
        float[] lanes = new float[L];
        for (int r = 0, o = 0; r < rows; r++, o += w) {
            FloatVector acc = FloatVector.zero(F);
            for (int j = 0; j < w; j += L) acc = acc.add(load(x, o, j, w));
            float mean = sum(acc, lanes) / w;
            acc = FloatVector.zero(F);
            for (int j = 0; j < w; j += L) {
                FloatVector c = load(x, o, j, w).sub(mean);
                if (j + L > w) c = c.blend(0f, inRow(j, w).not());      // past the row: 0, not -mean
                acc = c.fma(c, acc);
            }
            float rs = (float) (1 / Math.sqrt(sum(acc, lanes) / w + eps));
            rstd[r] = rs;
            for (int j = 0; j < w; j += L) {
                FloatVector h = load(x, o, j, w).sub(mean).mul(rs);
                store(h, xhat, o, j, w);
                store(h.fma(load(gamma, 0, j, w), load(beta, 0, j, w)), y, o, j, w);
            }
        }
    }

    static void layerNormBackward(float[] dy, float[] xhat, float[] rstd, float[] gamma, float[] dx, float[] dgamma,
                                  float[] dbeta, int rows, int w) {
        float[] lanes = new float[L];
        for (int r = 0, o = 0; r < rows; r++, o += w) {
            FloatVector sd = FloatVector.zero(F), sdx = FloatVector.zero(F);
            for (int j = 0; j < w; j += L) {
                FloatVector g = load(dy, o, j, w), h = load(xhat, o, j, w);
                FloatVector dh = g.mul(load(gamma, 0, j, w));
                store(g.fma(h, load(dgamma, 0, j, w)), dgamma, 0, j, w);
                store(g.add(load(dbeta, 0, j, w)), dbeta, 0, j, w);
                sd = sd.add(dh);
                sdx = dh.fma(h, sdx);
            }
            float meanD = sum(sd, lanes) / w, meanDX = sum(sdx, lanes) / w;
            float rs = rstd[r];
            for (int j = 0; j < w; j += L) {
                FloatVector dh = load(dy, o, j, w).mul(load(gamma, 0, j, w));
                store(dh.sub(meanD).sub(load(xhat, o, j, w).mul(meanDX)).mul(rs), dx, o, j, w);
            }
        }
    }

    static double softmaxCrossEntropy(float[] z, int[] labels, int labelOff, float weight, float[] grad,
                                      int[] predicted, int rows, int c) {
        double total = 0;
        float[] lanes = new float[L];
        for (int r = 0, o = 0; r < rows; r++, o += c) {
            FloatVector mv = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (int j = 0; j < c; j += L) {
                FloatVector v = load(z, o, j, c);
                if (j + L > c) v = v.blend(Float.NEGATIVE_INFINITY, inRow(j, c).not());
                mv = mv.max(v);
            }
            mv.intoArray(lanes, 0);
            float max = Float.NEGATIVE_INFINITY;
            for (float x : lanes) max = Math.max(max, x);
            int arg = 0;
            while (arg < c - 1 && z[o + arg] != max) arg++;     // the argmax: the first maximum (NaN rows: the last)
            predicted[labelOff + r] = arg;
            FloatVector acc = FloatVector.zero(F);
            for (int j = 0; j < c; j += L) {
                FloatVector ex = exp(load(z, o, j, c).sub(max));
                if (j + L > c) ex = ex.blend(0f, inRow(j, c).not());   // past the row: 0, not exp(-max)
                acc = acc.add(ex);
                if (grad != null) store(ex, grad, o, j, c);
            }
            float sum = sum(acc, lanes);
            int y = labels[labelOff + r];
            if (y >= 0) total += Math.log(sum) + max - z[o + y];
            if (grad != null) {
                float scale = (y >= 0 ? weight : 0) / sum;
                for (int j = 0; j < c; j += L) store(flush(load(grad, o, j, c).mul(scale)), grad, o, j, c);
                if (y >= 0) grad[o + y] -= weight;
            }
        }
        return total;
    }

    static void adamW(float[] p, float[] g, float[] m, float[] v, float[] decay, int n, float lr, float b1, float b2,
                      float eps, float wd, float c1, float c2) {
        float sc2 = (float) (1 / Math.sqrt(c2)), step = lr / c1, shrink = lr * wd;
        FloatVector all = FloatVector.broadcast(F, 1 - shrink);
        for (int i = 0; i < n; i += L) {
            FloatVector gi = FloatVector.fromArray(F, g, i);
            FloatVector factor = decay == null ? all : FloatVector.fromArray(F, decay, i).mul(-shrink).add(1f);
            FloatVector pi = FloatVector.fromArray(F, p, i).mul(factor);
            FloatVector mi = FloatVector.fromArray(F, m, i).mul(b1).add(gi.mul(1 - b1));
            FloatVector vi = FloatVector.fromArray(F, v, i).mul(b2).add(gi.mul(gi).mul(1 - b2));
            mi.intoArray(m, i);
            vi.intoArray(v, i);
            pi.sub(mi.mul(step).div(vi.lanewise(VectorOperators.SQRT).mul(sc2).add(eps))).intoArray(p, i);
        }
    }

    // Row operations of the attention kernels (RawArray's rowDots, scaleRows, combineRows for float32), on rows r of
    // width d laid out back to back in a, b: lane-wise, with each row's sum taken in a fixed order.

    /** out[r] = a_r . b_r for r < rows (a may be b: squared norms). */
    static void rowDots(float[] a, float[] b, int rows, int d, double[] out) {
        float[] lanes = new float[L];
        for (int r = 0, o = 0; r < rows; r++, o += d) {
            FloatVector acc = FloatVector.zero(F);
            for (int j = 0; j < d; j += L) acc = load(a, o, j, d).fma(load(b, o, j, d), acc);
            out[r] = sum(acc, lanes);
        }
    }

    /** a_r *= factor[r]. */
    static void scaleRows(float[] a, int rows, int d, double[] factor) {
        for (int r = 0, o = 0; r < rows; r++, o += d) {
            float f = (float) factor[r];
            for (int j = 0; j < d; j += L) store(load(a, o, j, d).mul(f), a, o, j, d);
        }
    }

    /** y_r = alpha[r] y_r + beta[r] x_r. */
    static void combineRows(float[] y, float[] x, int rows, int d, double[] alpha, double[] beta) {
        for (int r = 0, o = 0; r < rows; r++, o += d) {
            float al = (float) alpha[r], be = (float) beta[r];
            for (int j = 0; j < d; j += L) store(load(y, o, j, d).mul(al).add(load(x, o, j, d).mul(be)), y, o, j, d);
        }
    }

    /**
     * In place over row[0..keys): softmax over the entries j < limit with allowed[j] = 1 (allowed: 0 or 1 per key),
     * 0 elsewhere; a row without an allowed entry becomes 0. row and allowed hold padded(keys) elements.
     */
    static void softmaxRow(float[] row, int keys, int limit, float[] allowed) {
        float[] lanes = new float[L];
        FloatVector mv = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < limit; j += L) {
            FloatVector a = load(allowed, 0, j, limit);                 // 0 past the limit
            mv = mv.max(load(row, 0, j, limit).blend(Float.NEGATIVE_INFINITY, a.compare(VectorOperators.EQ, 0f)));
        }
        mv.intoArray(lanes, 0);
        float max = Float.NEGATIVE_INFINITY;
        for (float x : lanes) max = Math.max(max, x);
        if (max == Float.NEGATIVE_INFINITY) {
            java.util.Arrays.fill(row, 0, keys, 0f);
            return;
        }
        FloatVector acc = FloatVector.zero(F);
        for (int j = 0; j < limit; j += L) {
            FloatVector e = exp(load(row, 0, j, limit).sub(max)).mul(load(allowed, 0, j, limit));
            store(e, row, 0, j, limit);
            acc = acc.add(e);
        }
        float inv = 1f / sum(acc, lanes);
        for (int j = 0; j < limit; j += L) store(flush(load(row, 0, j, limit).mul(inv)), row, 0, j, limit);
        java.util.Arrays.fill(row, limit, keys, 0f);
    }

    /** d = p ⊙ (D - p . D) * scale, D = d ⊙ keep (keep null: D = d), over n entries. */
    static void softmaxBackwardRow(float[] d, float[] p, float[] keep, int n, float scale) {
        float[] lanes = new float[L];
        FloatVector acc = FloatVector.zero(F);
        for (int j = 0; j < n; j += L) {
            FloatVector dv = load(d, 0, j, n);
            if (keep != null) {
                dv = dv.mul(load(keep, 0, j, n));
                store(dv, d, 0, j, n);
            }
            acc = load(p, 0, j, n).fma(dv, acc);
        }
        float dot = sum(acc, lanes);
        for (int j = 0; j < n; j += L) {
            store(flush(load(p, 0, j, n).mul(load(d, 0, j, n).sub(dot)).mul(scale)), d, 0, j, n);
        }
    }
}
