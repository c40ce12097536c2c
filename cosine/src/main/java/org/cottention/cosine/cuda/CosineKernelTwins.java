package org.cottention.cosine.cuda;

import static org.cottention.cuda.emulation.BlockOps.NORM_EPS;
import static org.cottention.cuda.emulation.BlockOps.gemm;
import static org.cottention.cuda.emulation.BlockOps.loadRows;
import static org.cottention.cuda.emulation.BlockOps.sharedMemory;
import static org.cottention.cuda.emulation.BlockOps.storeRows;
import static org.cottention.cuda.emulation.BlockOps.zeroTile;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cottention.cuda.ElementType;
import org.cottention.cuda.Precision;
import org.cottention.cuda.emulation.EmulatedDevice;
import org.cottention.cuda.emulation.EmulatedDevice.Args;

/**
 * Java twins of the kernels in src/main/cuda/cosine.cu: the same phases, tile layout (offsets into one shared
 * float[] per block, the same aliasing), index arithmetic and chunk decomposition, run block by block on the CPU.
 * A change to a kernel must be made here too; the emulation tests then check the launch sequence of
 * {@link CosineKernels} and this decomposition against the reference, and {@code gpu-check --emulate} dry-runs the
 * GPU check with them.
 */
public final class CosineKernelTwins {
    private CosineKernelTwins() {}

    static final int KS = 32;
    static final int THREADS = 256;

    /** An emulated device with these twins and the given per-block shared-memory limit (bytes). */
    public static EmulatedDevice device(int maxShared) {
        return new EmulatedDevice("cosine", CosineKernelTwins::kernel, CosineKernelTwins::sharedBytes, maxShared);
    }

    private static final Pattern TILE_KERNEL =
            Pattern.compile("cos_(states|fwd|bwd)_(f32|bf16)_(simt|tf32x3|tf32)_d(\\d+)_c(\\d+)");

    /** The tile geometry of Geo<D, C> (sizes in floats). */
    record Geo(Precision precision, int d, int c) {
        int ld() { return d + 4; }
        int ldc() { return c + 4; }
        int tile() { return c * ld(); }
        int square() { return d * ld(); }
        int cc() { return c * ldc(); }
        int slice() { return KS * ld(); }
        int statesFloats() { return 2 * tile() + square() + 2 * c; }
        int fwdFloats() { return 3 * tile() + cc() + slice() + 3 * c; }
        int bwdFloats() { return 5 * tile() + cc() + slice() + 5 * c + 8; }
    }

    private static Matcher tileKernel(String name) {
        Matcher mt = TILE_KERNEL.matcher(name);
        return mt.matches() ? mt : null;
    }

    private static Geo geo(Matcher mt) {
        Precision p = Precision.parse(mt.group(2) + "-" + mt.group(3));
        return new Geo(p, Integer.parseInt(mt.group(4)), Integer.parseInt(mt.group(5)));
    }

    static int sharedBytes(String name) {
        if (name.equals("cos_counts") || name.equals("cos_scan")) return 0;
        if (name.equals("cos_decode_step")) return -1;
        Matcher mt = tileKernel(name);
        if (mt == null) throw new IllegalArgumentException("no kernel " + name + " in cosine.fatbin");
        Geo g = geo(mt);
        return 4 * switch (mt.group(1)) {
            case "states" -> g.statesFloats();
            case "fwd" -> g.fwdFloats();
            default -> g.bwdFloats();
        };
    }

    static EmulatedDevice.Kernel kernel(String name) {
        switch (name) {
            case "cos_counts":
                return CosineKernelTwins::counts;
            case "cos_scan":
                return CosineKernelTwins::scan;
            case "cos_decode_step":
                return CosineKernelTwins::decodeStep;
            default:
        }
        Matcher mt = tileKernel(name);
        if (mt == null) throw new IllegalArgumentException("no kernel " + name + " in cosine.fatbin");
        Geo g = geo(mt);
        return switch (mt.group(1)) {
            case "states" -> (gx, gy, sh, a) -> states(g, gx, gy, a);
            case "fwd" -> (gx, gy, sh, a) -> forward(g, gx, gy, a);
            default -> (gx, gy, sh, a) -> backward(g, gx, gy, a);
        };
    }

    // ---- device helpers ----

    static float sigmoid(float m) {
        return 1f / (1f + (float) Math.exp(-m));
    }

    static float valueScale(float p, float c, float sg) {
        return p / Math.max((float) Math.pow(c, sg), 1f);
    }

    static float logDerivative(float c, float sg) {
        return (float) Math.pow(c, sg) <= 1f ? 0f : -(float) Math.log(c) * sg * (1f - sg);
    }

    static float maskAt(float[] mask, long i) {
        return mask != null ? mask[Math.toIntExact(i)] : 1f;
    }

    /** normalize_rows: rows of the tile at `tile` become p Nrm(x); factor at `factor`, above-eps flags at `above` (or -1). */
    static void normalizeRows(Geo g, float[] sm, int tile, int factor, int above, float[] mask, long maskBase, int t0,
                              int s) {
        int ld = g.ld();
        for (int i = 0; i < g.c(); i++) {
            float ss = 0f;
            for (int e = 0; e < g.d(); e++) ss += sm[tile + i * ld + e] * sm[tile + i * ld + e];
            float norm = (float) Math.sqrt(ss);
            int t = t0 + i;
            float p = t < s ? maskAt(mask, maskBase + t) : 0f;
            float f = p / Math.max(norm, NORM_EPS);
            for (int e = 0; e < g.d(); e++) sm[tile + i * ld + e] *= f;
            sm[factor + i] = f;
            if (above >= 0) sm[above + i] = norm > NORM_EPS ? 1f : 0f;
        }
    }

    /** scale_value_rows. */
    static void scaleValueRows(Geo g, float[] sm, int tile, int vscale, float[] mask, float[] counts, long nBase, int t0,
                               int s, float sg) {
        for (int i = 0; i < g.c(); i++) {
            int t = t0 + i;
            sm[vscale + i] = t < s ? valueScale(maskAt(mask, nBase + t), counts[Math.toIntExact(nBase + t)], sg) : 0f;
        }
        for (int idx = 0; idx < g.c() * g.d(); idx++) sm[tile + (idx / g.d()) * g.ld() + idx % g.d()] *= sm[vscale + idx / g.d()];
    }

    /** keep_lower_triangle. */
    static void keepLowerTriangle(Geo g, float[] sm, int tile) {
        int c = g.c();
        for (int idx = 0; idx < c * c; idx++) if (idx % c > idx / c) sm[tile + (idx / c) * g.ldc() + idx % c] = 0f;
    }

    /** stage_state_rows<D, TRANSPOSED>. */
    static void stageStateRows(Geo g, boolean transposed, float[] sm, int slice, float[] src, long srcBase, int k0,
                               int rows, int cols) {
        int d = g.d();
        for (int idx = 0; idx < KS * d; idx++) {
            int kk = transposed ? idx % KS : idx / d, j = transposed ? idx / KS : idx % d, k = k0 + kk;
            float v = 0f;
            if (!transposed && k < rows && j < cols) v = src[Math.toIntExact(srcBase + (long) k * cols + j)];
            if (transposed && j < rows && k < cols) v = src[Math.toIntExact(srcBase + (long) j * cols + k)];
            sm[slice + kk * g.ld() + j] = v;
        }
    }

    /** normalize_backward_rows. */
    static void normalizeBackwardRows(Geo g, float[] sm, int xtile, int gtile, int factor, int above, float[] out,
                                      long base, int t0, int s, int d) {
        int ld = g.ld();
        for (int i = 0; i < g.c(); i++) {
            float dot = 0f;
            for (int e = 0; e < g.d(); e++) dot += sm[xtile + i * ld + e] * sm[gtile + i * ld + e];
            dot *= sm[above + i];
            int t = t0 + i;
            if (t < s) {
                for (int e = 0; e < d; e++) {
                    out[Math.toIntExact(base + (long) t * d + e)] =
                            sm[factor + i] * (sm[gtile + i * ld + e] - sm[xtile + i * ld + e] * dot);
                }
            }
        }
    }

    // ---- kernels ----

    /** cos_states(a, bm, bKind, mask, counts, m, states, H, s, dk, dv); grid (B, nc). */
    static void states(Geo g, int gx, int gy, Args a) {
        a.expect(11);
        ElementType t = g.precision().inputType();
        float[] x = a.floats(0, t), y = a.floats(1, t), mask = a.f32(3), counts = a.f32(4), m = a.f32(5), states = a.f32(6);
        int bKind = a.i32(2), heads = a.i32(7), s = a.i32(8), dk = a.i32(9), dv = a.i32(10);
        int nc = gy, c0 = g.c(), ld = g.ld();
        for (int b = 0; b < gx; b++) {
            for (int c = 0; c < gy; c++) {
                float[] sm = sharedMemory(g.statesFloats());
                int ta = 0, tb = ta + g.tile(), out = tb + g.tile(), f = out + g.square();
                int n = b / heads, h = b % heads, t0 = c * c0;
                long rowBase = (long) b * s, nBase = (long) n * s;
                loadRows(sm, ta, ld, x, rowBase * dk, t0, s, dk, c0, g.d());
                loadRows(sm, tb, ld, y, rowBase * dv, t0, s, dv, c0, g.d());
                normalizeRows(g, sm, ta, f, -1, mask, nBase, t0, s);
                if (bKind == 1) scaleValueRows(g, sm, tb, f + c0, mask, counts, nBase, t0, s, sigmoid(m[h]));
                gemm(g.precision(), true, false, g.d(), g.d(), c0, sm, ta, ld, sm, tb, ld, sm, out, ld, false);
                long dst = ((long) b * nc + c) * dk * dv;
                for (int idx = 0; idx < dk * dv; idx++) states[Math.toIntExact(dst + idx)] = sm[out + (idx / dv) * ld + idx % dv];
            }
        }
    }

    /** cos_fwd(q, k, v, mask, counts, m, prefix, out, H, s, dk, dv, causal); grid (B, nc). */
    static void forward(Geo g, int gx, int gy, Args a) {
        a.expect(13);
        ElementType t = g.precision().inputType();
        float[] q = a.floats(0, t), k = a.floats(1, t), v = a.floats(2, t);
        float[] mask = a.f32(3), counts = a.f32(4), m = a.f32(5), prefix = a.f32(6), out = a.f32(7);
        int heads = a.i32(8), s = a.i32(9), dk = a.i32(10), dv = a.i32(11);
        boolean causal = a.i32(12) != 0;
        int nc = gy, c0 = g.c(), d = g.d(), ld = g.ld();
        for (int b = 0; b < gx; b++) {
            for (int c = 0; c < gy; c++) {
                float[] sm = sharedMemory(g.fwdFloats());
                int tq = 0, tk = tq + g.tile(), tv = tk + g.tile(), ta = tv + g.tile(), ts = ta + g.cc();
                int fq = ts + g.slice(), fk = fq + c0, fv = fk + c0;
                int n = b / heads, h = b % heads, t0 = c * c0;
                long rowBase = (long) b * s, nBase = (long) n * s;
                loadRows(sm, tq, ld, q, rowBase * dk, t0, s, dk, c0, d);
                if (causal) {
                    loadRows(sm, tk, ld, k, rowBase * dk, t0, s, dk, c0, d);
                    loadRows(sm, tv, ld, v, rowBase * dv, t0, s, dv, c0, d);
                }
                normalizeRows(g, sm, tq, fq, -1, mask, nBase, t0, s);
                if (causal) {
                    normalizeRows(g, sm, tk, fk, -1, mask, nBase, t0, s);
                    scaleValueRows(g, sm, tv, fv, mask, counts, nBase, t0, s, sigmoid(m[h]));
                }
                int to = tk;
                if (causal) {
                    gemm(g.precision(), false, true, c0, c0, d, sm, tq, ld, sm, tk, ld, sm, ta, g.ldc(), false);
                    keepLowerTriangle(g, sm, ta);
                    gemm(g.precision(), false, false, c0, d, c0, sm, ta, g.ldc(), sm, tv, ld, sm, to, ld, false);
                } else {
                    zeroTile(sm, to, ld, c0, d);
                }
                long p = ((long) b * nc + c) * dk * dv;
                for (int k0 = 0; k0 < dk; k0 += KS) {
                    stageStateRows(g, false, sm, ts, prefix, p, k0, dk, dv);
                    gemm(g.precision(), false, false, c0, d, KS, sm, tq + k0, ld, sm, ts, ld, sm, to, ld, true);
                }
                storeRows(sm, to, ld, out, rowBase * dv, t0, s, dv, c0, d, 1f);
            }
        }
    }

    /**
     * cos_bwd(q, k, v, g, mask, counts, m, prefix, suffix, dq, dk, dv, dmPartial, H, s, dk, dv, causal);
     * grid (B, nc).
     */
    static void backward(Geo geo, int gx, int gy, Args a) {
        a.expect(18);
        ElementType t = geo.precision().inputType();
        float[] q = a.floats(0, t), k = a.floats(1, t), v = a.floats(2, t), g = a.floats(3, t);
        float[] mask = a.f32(4), counts = a.f32(5), m = a.f32(6), prefix = a.f32(7), suffix = a.f32(8);
        float[] dqOut = a.f32(9), dkOut = a.f32(10), dvOut = a.f32(11), dmPartial = a.f32(12);
        int heads = a.i32(13), s = a.i32(14), dk = a.i32(15), dv = a.i32(16);
        boolean causal = a.i32(17) != 0;
        Precision pr = geo.precision();
        int nc = gy, c0 = geo.c(), d = geo.d(), ld = geo.ld(), ldc = geo.ldc();
        for (int b = 0; b < gx; b++) {
            for (int c = 0; c < gy; c++) {
                float[] sm = sharedMemory(geo.bwdFloats());
                int tq = 0, tk = tq + geo.tile(), tv = tk + geo.tile(), tg = tv + geo.tile(), to = tg + geo.tile();
                int ta = to + geo.tile(), ts = ta + geo.cc(), fq = ts + geo.slice(), aq = fq + c0, fk = aq + c0,
                        ak = fk + c0, fv = ak + c0;
                int n = b / heads, h = b % heads, t0 = c * c0;
                long rowBase = (long) b * s, nBase = (long) n * s;
                float sg = sigmoid(m[h]);
                long stateBase = ((long) b * nc + c) * dk * dv;

                loadRows(sm, tq, ld, q, rowBase * dk, t0, s, dk, c0, d);
                loadRows(sm, tk, ld, k, rowBase * dk, t0, s, dk, c0, d);
                loadRows(sm, tv, ld, v, rowBase * dv, t0, s, dv, c0, d);
                loadRows(sm, tg, ld, g, rowBase * dv, t0, s, dv, c0, d);
                normalizeRows(geo, sm, tq, fq, aq, mask, nBase, t0, s);
                normalizeRows(geo, sm, tk, fk, ak, mask, nBase, t0, s);
                scaleValueRows(geo, sm, tv, fv, mask, counts, nBase, t0, s, sg);

                // dQh = (G Vh^T ⊙ tril) Kh + G P^T
                if (causal) {
                    gemm(pr, false, true, c0, c0, d, sm, tg, ld, sm, tv, ld, sm, ta, ldc, false);
                    keepLowerTriangle(geo, sm, ta);
                    gemm(pr, false, false, c0, d, c0, sm, ta, ldc, sm, tk, ld, sm, to, ld, false);
                } else {
                    zeroTile(sm, to, ld, c0, d);
                }
                for (int k0 = 0; k0 < dv; k0 += KS) {
                    stageStateRows(geo, true, sm, ts, prefix, stateBase, k0, dk, dv);
                    gemm(pr, false, false, c0, d, KS, sm, tg + k0, ld, sm, ts, ld, sm, to, ld, true);
                }
                normalizeBackwardRows(geo, sm, tq, to, fq, aq, dqOut, rowBase * dk, t0, s, dk);

                // dKh = (G Vh^T ⊙ tril)^T Qh + Vh dS^T
                if (causal) gemm(pr, true, false, c0, d, c0, sm, ta, ldc, sm, tq, ld, sm, to, ld, false);
                else zeroTile(sm, to, ld, c0, d);
                for (int k0 = 0; k0 < dv; k0 += KS) {
                    stageStateRows(geo, true, sm, ts, suffix, stateBase, k0, dk, dv);
                    gemm(pr, false, false, c0, d, KS, sm, tv + k0, ld, sm, ts, ld, sm, to, ld, true);
                }
                normalizeBackwardRows(geo, sm, tk, to, fk, ak, dkOut, rowBase * dk, t0, s, dk);

                // dVh = (Qh Kh^T ⊙ tril)^T G + Kh dS
                if (causal) {
                    gemm(pr, false, true, c0, c0, d, sm, tq, ld, sm, tk, ld, sm, ta, ldc, false);
                    keepLowerTriangle(geo, sm, ta);
                    gemm(pr, true, false, c0, d, c0, sm, ta, ldc, sm, tg, ld, sm, to, ld, false);
                } else {
                    zeroTile(sm, to, ld, c0, d);
                }
                for (int k0 = 0; k0 < dk; k0 += KS) {
                    stageStateRows(geo, false, sm, ts, suffix, stateBase, k0, dk, dv);
                    gemm(pr, false, false, c0, d, KS, sm, tk + k0, ld, sm, ts, ld, sm, to, ld, true);
                }
                float dm = 0f;
                for (int i = 0; i < c0; i++) {
                    int tt = t0 + i;
                    float dot = 0f;
                    for (int e = 0; e < d; e++) dot += sm[to + i * ld + e] * sm[tv + i * ld + e];
                    if (tt < s) {
                        for (int e = 0; e < dv; e++) {
                            dvOut[Math.toIntExact((rowBase + tt) * dv + e)] = sm[fv + i] * sm[to + i * ld + e];
                        }
                        dm += dot * maskAt(mask, nBase + tt) * logDerivative(counts[Math.toIntExact(nBase + tt)], sg);
                    }
                }
                dmPartial[Math.toIntExact((long) b * nc + c)] = dm;
            }
        }
    }

    /** cos_counts(mask, offset, counts, s, causal); grid (N). */
    static void counts(int gx, int gy, int shared, Args a) {
        a.expect(5);
        float[] mask = a.f32(0), offset = a.f32(1), counts = a.f32(2);
        int s = a.i32(3);
        boolean causal = a.i32(4) != 0;
        for (int n = 0; n < gx; n++) {
            long base = (long) n * s;
            float carry = offset != null ? offset[n] : 0f;
            for (int t0 = 0; t0 < s; t0 += THREADS) {
                float[] scan = new float[THREADS];
                for (int tid = 0; tid < THREADS; tid++) scan[tid] = t0 + tid < s ? maskAt(mask, base + t0 + tid) : 0f;
                for (int tid = 1; tid < THREADS; tid++) scan[tid] += scan[tid - 1];
                for (int tid = 0; tid < THREADS && t0 + tid < s; tid++) counts[Math.toIntExact(base + t0 + tid)] = carry + scan[tid];
                carry += scan[THREADS - 1];
            }
            if (!causal) for (int t = 0; t < s; t++) counts[Math.toIntExact(base + t)] = carry;
        }
    }

    /** cos_scan(states, initial, finalState, nc, dk, dv, mode); grid (ceil(dk dv / 256), B). */
    static void scan(int gx, int gy, int shared, Args a) {
        a.expect(7);
        float[] states = a.f32(0);
        double[] initial = a.f64(1), finalState = a.f64(2);
        int nc = a.i32(3), dk = a.i32(4), dv = a.i32(5), mode = a.i32(6), dkdv = dk * dv;
        for (int b = 0; b < gy; b++) {
            for (int e = 0; e < gx * THREADS; e++) {
                if (e >= dkdv) continue;
                int ek = e / dv, ev = e % dv;
                int stateIndex = Math.toIntExact(((long) b * dv + ev) * dk + ek);
                long x = (long) b * nc * dkdv + e;
                double run = initial != null ? initial[stateIndex] : 0.0;
                if (mode == 2) {
                    for (int c = 0; c < nc; c++) run += states[Math.toIntExact(x + (long) c * dkdv)];
                    for (int c = 0; c < nc; c++) states[Math.toIntExact(x + (long) c * dkdv)] = (float) run;
                } else {
                    for (int u = 0; u < nc; u++) {
                        int c = mode == 0 ? u : nc - 1 - u;
                        int at = Math.toIntExact(x + (long) c * dkdv);
                        float in = states[at];
                        states[at] = (float) run;
                        run += in;
                    }
                }
                if (finalState != null) finalState[stateIndex] = run;
            }
        }
    }

    /** cos_decode_step(q, k, v, mask, counts, m, state, out, H, dk, dv); grid (ceil(dv / 8), B). */
    static void decodeStep(int gx, int gy, int shared, Args a) {
        a.expect(11);
        float[] q = a.f32(0), k = a.f32(1), v = a.f32(2), mask = a.f32(3), counts = a.f32(4), m = a.f32(5), out = a.f32(7);
        double[] state = a.f64(6);
        int heads = a.i32(8), dk = a.i32(9), dv = a.i32(10);
        if (shared != 2 * dk * 4) throw new IllegalArgumentException("cos_decode_step: shared memory " + shared);
        for (int b = 0; b < gy; b++) {
            int n = b / heads, h = b % heads;
            float p = maskAt(mask, n);
            float sq = 0f, sk = 0f;
            for (int e = 0; e < dk; e++) {
                sq += q[b * dk + e] * q[b * dk + e];
                sk += k[b * dk + e] * k[b * dk + e];
            }
            float fq = p / Math.max((float) Math.sqrt(sq), NORM_EPS), fk = p / Math.max((float) Math.sqrt(sk), NORM_EPS);
            for (int x = 0; x < gx; x++) {
                for (int w = 0; w < THREADS / 32; w++) {
                    int row = x * (THREADS / 32) + w;
                    if (row >= dv) continue;
                    double va = (double) v[b * dv + row] * valueScale(p, counts[n], sigmoid(m[h]));
                    int base = (b * dv + row) * dk;
                    double dot = 0.0;
                    for (int e = 0; e < dk; e++) {
                        double xs = state[base + e] + va * (double) (fk * k[b * dk + e]);
                        state[base + e] = xs;
                        dot += xs * (double) (fq * q[b * dk + e]);
                    }
                    out[b * dv + row] = (float) dot;
                }
            }
        }
    }
}
