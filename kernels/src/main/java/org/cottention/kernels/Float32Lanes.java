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
 */
final class Float32Lanes {
    private Float32Lanes() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final float K = (float) Float64Loops.GELU_K, C = (float) Float64Loops.GELU_C;
    private static final float INV_SQRT2 = (float) Float64Loops.INV_SQRT2, INV_SQRT_2PI = (float) Float64Loops.INV_SQRT_2PI;

    private static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding and subtracting it rounds a float to the nearest integer (|x| < 2^22). */
    private static final float ROUNDER = 12582912f;

    /** exp(x) lane-wise, deterministic: x = k ln2 + r, |r| <= ln2 / 2, exp(r) by Cephes' expf polynomial, 2^k by bits. */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(-87.3f).min(88.7f);
        FloatVector fk = xc.mul(LOG2E).add(ROUNDER).sub(ROUNDER);
        FloatVector r = fk.mul(-LN2_HI).add(xc).sub(fk.mul(LN2_LO));
        FloatVector p = r.mul(1.9875691500e-4f).add(1.3981999507e-3f).mul(r).add(8.3334519073e-3f).mul(r)
                .add(4.1665795894e-2f).mul(r).add(1.6666665459e-1f).mul(r).add(5.0000001201e-1f).mul(r).mul(r).add(r)
                .add(1f);
        IntVector k = (IntVector) fk.convert(VectorOperators.F2I, 0);
        FloatVector scale = k.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(scale);
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

    /** Lanes i .. i+F.length() that lie below n. */
    private static VectorMask<Float> tail(int i, int n) {
        return F.indexInRange(i, n);
    }

    static void geluTanhForward(float[] x, float[] y, float[] t, int n) {
        for (int i = 0; i < n; i += F.length()) {
            VectorMask<Float> m = tail(i, n);
            FloatVector xv = FloatVector.fromArray(F, x, i, m);
            FloatVector u = xv.mul(xv).mul(C).add(1f).mul(xv).mul(K);
            FloatVector tv = tanh(u);
            tv.intoArray(t, i, m);
            tv.add(1f).mul(xv).mul(0.5f).intoArray(y, i, m);
        }
    }

    static void geluTanhBackward(float[] dy, float[] x, float[] t, float[] dx, int n) {
        for (int i = 0; i < n; i += F.length()) {
            VectorMask<Float> m = tail(i, n);
            FloatVector xv = FloatVector.fromArray(F, x, i, m), tv = FloatVector.fromArray(F, t, i, m);
            FloatVector inner = xv.mul(xv).mul(3 * C).add(1f).mul(K);
            FloatVector second = tv.mul(tv).neg().add(1f).mul(inner).mul(xv).mul(0.5f);
            FloatVector d = tv.add(1f).mul(0.5f).add(second);
            d.mul(FloatVector.fromArray(F, dy, i, m)).intoArray(dx, i, m);
        }
    }

    static void geluErfForward(float[] x, float[] y, float[] e, int n) {
        for (int i = 0; i < n; i += F.length()) {
            VectorMask<Float> m = tail(i, n);
            FloatVector xv = FloatVector.fromArray(F, x, i, m);
            FloatVector ev = erf(xv.mul(INV_SQRT2));
            ev.intoArray(e, i, m);
            ev.add(1f).mul(xv).mul(0.5f).intoArray(y, i, m);
        }
    }

    static void geluErfBackward(float[] dy, float[] x, float[] e, float[] dx, int n) {
        for (int i = 0; i < n; i += F.length()) {
            VectorMask<Float> m = tail(i, n);
            FloatVector xv = FloatVector.fromArray(F, x, i, m), ev = FloatVector.fromArray(F, e, i, m);
            FloatVector phi = exp(xv.mul(xv).mul(-0.5f)).mul(INV_SQRT_2PI);
            ev.add(1f).mul(0.5f).add(xv.mul(phi)).mul(FloatVector.fromArray(F, dy, i, m)).intoArray(dx, i, m);
        }
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
        float[] lanes = new float[F.length()];
        for (int r = 0, o = 0; r < rows; r++, o += w) {
            FloatVector acc = FloatVector.zero(F);
            for (int j = 0; j < w; j += F.length()) acc = acc.add(FloatVector.fromArray(F, x, o + j, tail(j, w)));
            float mean = sum(acc, lanes) / w;
            acc = FloatVector.zero(F);
            for (int j = 0; j < w; j += F.length()) {
                VectorMask<Float> m = tail(j, w);
                FloatVector c = FloatVector.fromArray(F, x, o + j, m).sub(mean);
                acc = c.fma(c, acc).blend(acc, m.not());
            }
            float rs = (float) (1 / Math.sqrt(sum(acc, lanes) / w + eps));
            rstd[r] = rs;
            for (int j = 0; j < w; j += F.length()) {
                VectorMask<Float> m = tail(j, w);
                FloatVector h = FloatVector.fromArray(F, x, o + j, m).sub(mean).mul(rs);
                h.intoArray(xhat, o + j, m);
                h.fma(FloatVector.fromArray(F, gamma, j, m), FloatVector.fromArray(F, beta, j, m)).intoArray(y, o + j, m);
            }
        }
    }

    static void layerNormBackward(float[] dy, float[] xhat, float[] rstd, float[] gamma, float[] dx, float[] dgamma,
                                  float[] dbeta, int rows, int w) {
        float[] lanes = new float[F.length()];
        for (int r = 0, o = 0; r < rows; r++, o += w) {
            FloatVector sd = FloatVector.zero(F), sdx = FloatVector.zero(F);
            for (int j = 0; j < w; j += F.length()) {
                VectorMask<Float> m = tail(j, w);
                FloatVector g = FloatVector.fromArray(F, dy, o + j, m), h = FloatVector.fromArray(F, xhat, o + j, m);
                FloatVector dh = g.mul(FloatVector.fromArray(F, gamma, j, m));
                g.fma(h, FloatVector.fromArray(F, dgamma, j, m)).intoArray(dgamma, j, m);
                g.add(FloatVector.fromArray(F, dbeta, j, m)).intoArray(dbeta, j, m);
                sd = sd.add(dh);
                sdx = dh.fma(h, sdx);
            }
            float meanD = sum(sd, lanes) / w, meanDX = sum(sdx, lanes) / w;
            float rs = rstd[r];
            for (int j = 0; j < w; j += F.length()) {
                VectorMask<Float> m = tail(j, w);
                FloatVector dh = FloatVector.fromArray(F, dy, o + j, m).mul(FloatVector.fromArray(F, gamma, j, m));
                FloatVector h = FloatVector.fromArray(F, xhat, o + j, m);
                dh.sub(meanD).sub(h.mul(meanDX)).mul(rs).intoArray(dx, o + j, m);
            }
        }
    }

    static double softmaxCrossEntropy(float[] z, int[] labels, int labelOff, float weight, float[] grad,
                                      int[] predicted, int rows, int c) {
        double total = 0;
        float[] lanes = new float[F.length()];
        for (int r = 0, o = 0; r < rows; r++, o += c) {
            float max = Float.NEGATIVE_INFINITY;
            int arg = 0;
            for (int j = 0; j < c; j++) {                        // the argmax: the first maximum, as the scalar loop
                if (z[o + j] > max) {
                    max = z[o + j];
                    arg = j;
                }
            }
            predicted[labelOff + r] = arg;
            FloatVector acc = FloatVector.zero(F);
            for (int j = 0; j < c; j += F.length()) {
                VectorMask<Float> m = tail(j, c);
                FloatVector ex = exp(FloatVector.fromArray(F, z, o + j, m).sub(max));
                acc = acc.add(ex, m);
                if (grad != null) ex.intoArray(grad, o + j, m);
            }
            float sum = sum(acc, lanes);
            int y = labels[labelOff + r];
            if (y >= 0) total += Math.log(sum) + max - z[o + y];
            if (grad != null) {
                float scale = (y >= 0 ? weight : 0) / sum;
                for (int j = 0; j < c; j += F.length()) {
                    VectorMask<Float> m = tail(j, c);
                    FloatVector.fromArray(F, grad, o + j, m).mul(scale).intoArray(grad, o + j, m);
                }
                if (y >= 0) grad[o + y] -= weight;
            }
        }
        return total;
    }

    static void adamW(float[] p, float[] g, float[] m, float[] v, float[] decay, int n, float lr, float b1, float b2,
                      float eps, float wd, float c1, float c2) {
        float sc2 = (float) (1 / Math.sqrt(c2)), step = lr / c1, shrink = lr * wd;
        for (int i = 0; i < n; i += F.length()) {
            VectorMask<Float> k = tail(i, n);
            FloatVector gi = FloatVector.fromArray(F, g, i, k);
            FloatVector factor = decay == null ? FloatVector.broadcast(F, 1 - shrink)
                    : FloatVector.fromArray(F, decay, i, k).mul(-shrink).add(1f);
            FloatVector pi = FloatVector.fromArray(F, p, i, k).mul(factor);
            FloatVector mi = FloatVector.fromArray(F, m, i, k).mul(b1).add(gi.mul(1 - b1));
            FloatVector vi = FloatVector.fromArray(F, v, i, k).mul(b2).add(gi.mul(gi).mul(1 - b2));
            mi.intoArray(m, i, k);
            vi.intoArray(v, i, k);
            pi.sub(mi.mul(step).div(vi.lanewise(VectorOperators.SQRT).mul(sc2).add(eps))).intoArray(p, i, k);
        }
    }
}
