package org.cottention.softmax.cuda;

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
 * Java twins of the kernels in src/main/cuda/softmax.cu (same phases, tile layout, index arithmetic and online
 * softmax), run block by block on the CPU, for the emulation tests and {@code gpu-check --emulate}. A change to a
 * kernel must be made here too.
 */
public final class SoftmaxKernelTwins {
    private SoftmaxKernelTwins() {}

    static final int THREADS = 256, WARPS = 8;
    static final float NEG_INF = Float.NEGATIVE_INFINITY;

    public static EmulatedDevice device(int maxShared) {
        return new EmulatedDevice("softmax", SoftmaxKernelTwins::kernel, SoftmaxKernelTwins::sharedBytes, maxShared);
    }

    private static final Pattern FLASH = Pattern.compile("sm_flash_(fwd|bwd_kv|bwd_q)_(f32|bf16)_(simt|tf32x3|tf32)_d(\\d+)");
    private static final Pattern GEMM = Pattern.compile("sm_gemm_([nt])([nt])_(simt|tf32x3)");

    /** FlashGeo<D, BT>. */
    record Geo(Precision precision, int d, int bt) {
        int ld() { return d + 4; }
        int ldt() { return bt + 4; }
        int tile() { return bt * ld(); }
        int sq() { return bt * ldt(); }
        int fwdFloats() { return 4 * tile() + sq() + 3 * bt; }
        int kvFloats() { return 6 * tile() + 2 * sq() + 2 * bt; }
        int qFloats() { return 5 * tile() + 2 * sq() + 2 * bt; }
    }

    private static Geo geo(Matcher mt) {
        int d = Integer.parseInt(mt.group(4));
        return new Geo(Precision.parse(mt.group(2) + "-" + mt.group(3)), d, d == 128 ? 32 : 64);
    }

    static int sharedBytes(String name) {
        Matcher mt = FLASH.matcher(name);
        if (!mt.matches()) return 0;
        Geo g = geo(mt);
        return 4 * switch (mt.group(1)) {
            case "fwd" -> g.fwdFloats();
            case "bwd_kv" -> g.kvFloats();
            default -> g.qFloats();
        };
    }

    static EmulatedDevice.Kernel kernel(String name) {
        switch (name) {
            case "sm_softmax_rows":
                return SoftmaxKernelTwins::softmaxRows;
            case "sm_softmax_bwd_rows":
                return SoftmaxKernelTwins::softmaxBackwardRows;
            case "sm_flash_bwd_pre_f32":
                return (gx, gy, sh, a) -> backwardPre(ElementType.F32, gx, a);
            case "sm_flash_bwd_pre_bf16":
                return (gx, gy, sh, a) -> backwardPre(ElementType.BF16, gx, a);
            default:
        }
        Matcher gm = GEMM.matcher(name);
        if (gm.matches()) {
            Precision p = gm.group(3).equals("simt") ? Precision.F32_SIMT : Precision.F32_TF32X3;
            boolean ta = gm.group(1).equals("t"), tb = gm.group(2).equals("t");
            return (gx, gy, sh, a) -> batchedGemm(p, ta, tb, gx, gy, a);
        }
        Matcher mt = FLASH.matcher(name);
        if (!mt.matches()) throw new IllegalArgumentException("no kernel " + name + " in softmax.fatbin");
        Geo g = geo(mt);
        return switch (mt.group(1)) {
            case "fwd" -> (gx, gy, sh, a) -> flashForward(g, gx, gy, a);
            case "bwd_kv" -> (gx, gy, sh, a) -> flashBackwardKv(g, gx, gy, a);
            default -> (gx, gy, sh, a) -> flashBackwardQ(g, gx, gy, a);
        };
    }

    static boolean keyAllowed(float[] mask, long maskBase, int j, int s, int i, boolean causal, int offset) {
        return j < s && (mask == null || mask[Math.toIntExact(maskBase + j)] != 0f) && (!causal || j <= offset + i);
    }

    static int idx(long i) {
        return Math.toIntExact(i);
    }

    /** sm_gemm_*(A, B, C, M, N, K, lda, ldb, ldc, sa, sb, sc); grid (batch * ceil(N / 64), ceil(M / 64)). */
    static void batchedGemm(Precision p, boolean ta, boolean tb, int gx, int gy, Args a) {
        a.expect(12);
        float[] am = a.f32(0), bm = a.f32(1), cm = a.f32(2);
        int m = a.i32(3), n = a.i32(4), k = a.i32(5), lda = a.i32(6), ldb = a.i32(7), ldc = a.i32(8);
        long sa = a.i64(9), sb = a.i64(10), sc = a.i64(11);
        final int bm0 = 64, bn0 = 64, bk = 32, ldaS = bk + 4, ldbS = bn0 + 4, ldo = bn0 + 4;
        int tilesN = (n + bn0 - 1) / bn0;
        for (int bx = 0; bx < gx; bx++) {
            for (int by = 0; by < gy; by++) {
                float[] as = sharedMemory(bm0 * ldaS), bs = sharedMemory(bk * ldbS), cs = sharedMemory(bm0 * ldo);
                int z = bx / tilesN, j0 = (bx % tilesN) * bn0, i0 = by * bm0;
                long aBase = (long) z * sa, bBase = (long) z * sb;
                zeroTile(cs, 0, ldo, bm0, bn0);
                for (int k0 = 0; k0 < k; k0 += bk) {
                    for (int id = 0; id < bm0 * bk; id++) {
                        int i = ta ? id % bm0 : id / bk, kk = ta ? id / bm0 : id % bk, gi = i0 + i, gk = k0 + kk;
                        float x = 0f;
                        if (gi < m && gk < k) x = ta ? am[idx(aBase + (long) gk * lda + gi)] : am[idx(aBase + (long) gi * lda + gk)];
                        as[i * ldaS + kk] = x;
                    }
                    for (int id = 0; id < bk * bn0; id++) {
                        int j = tb ? id / bk : id % bn0, kk = tb ? id % bk : id / bn0, gj = j0 + j, gk = k0 + kk;
                        float y = 0f;
                        if (gj < n && gk < k) y = tb ? bm[idx(bBase + (long) gj * ldb + gk)] : bm[idx(bBase + (long) gk * ldb + gj)];
                        bs[kk * ldbS + j] = y;
                    }
                    gemm(p, false, false, bm0, bn0, bk, as, 0, ldaS, bs, 0, ldbS, cs, 0, ldo, true);
                }
                long cBase = (long) z * sc;
                for (int id = 0; id < bm0 * bn0; id++) {
                    int i = id / bn0, j = id % bn0;
                    if (i0 + i < m && j0 + j < n) cm[idx(cBase + (long) (i0 + i) * ldc + j0 + j)] = cs[i * ldo + j];
                }
            }
        }
    }

    /** sm_softmax_rows(x, mask, H, L, S, causal, offset, scale); grid (B L). */
    static void softmaxRows(int gx, int gy, int shared, Args a) {
        a.expect(8);
        float[] x = a.f32(0), mask = a.f32(1);
        int heads = a.i32(2), len = a.i32(3), s = a.i32(4), offset = a.i32(6);
        boolean causal = a.i32(5) != 0;
        float scale = a.f(7);
        for (int row = 0; row < gx; row++) {
            int b = row / len, i = row % len, n = b / heads;
            long maskBase = (long) n * s, r = (long) row * s;
            float mx = NEG_INF;
            for (int j = 0; j < s; j++) if (keyAllowed(mask, maskBase, j, s, i, causal, offset)) mx = Math.max(mx, scale * x[idx(r + j)]);
            float sum = 0f;
            if (mx != NEG_INF) {
                for (int j = 0; j < s; j++) {
                    if (keyAllowed(mask, maskBase, j, s, i, causal, offset)) sum += (float) Math.exp(scale * x[idx(r + j)] - mx);
                }
            }
            for (int j = 0; j < s; j++) {
                x[idx(r + j)] = sum > 0f && keyAllowed(mask, maskBase, j, s, i, causal, offset)
                        ? (float) Math.exp(scale * x[idx(r + j)] - mx) / sum : 0f;
            }
        }
    }

    /** sm_softmax_bwd_rows(P, dP, S, scale); grid (B L). */
    static void softmaxBackwardRows(int gx, int gy, int shared, Args a) {
        a.expect(4);
        float[] p = a.f32(0), dp = a.f32(1);
        int s = a.i32(2);
        float scale = a.f(3);
        for (int row = 0; row < gx; row++) {
            long base = (long) row * s;
            float dot = 0f;
            for (int j = 0; j < s; j++) dot += p[idx(base + j)] * dp[idx(base + j)];
            for (int j = 0; j < s; j++) dp[idx(base + j)] = scale * p[idx(base + j)] * (dp[idx(base + j)] - dot);
        }
    }

    /** sm_flash_bwd_pre_*(o, g, delta, rows, dv); grid (ceil(rows / 8)). */
    static void backwardPre(ElementType t, int gx, Args a) {
        a.expect(5);
        float[] o = a.f32(0), g = a.floats(1, t), delta = a.f32(2);
        int rows = a.i32(3), dv = a.i32(4);
        for (int bx = 0; bx < gx; bx++) {
            for (int w = 0; w < WARPS; w++) {
                int row = bx * WARPS + w;
                if (row >= rows) continue;
                float dot = 0f;
                for (int e = 0; e < dv; e++) dot += o[idx((long) row * dv + e)] * g[idx((long) row * dv + e)];
                delta[row] = dot;
            }
        }
    }

    private static void scaleTile(float[] sm, int tile, int ld, int rows, int d, float scale) {
        for (int id = 0; id < rows * d; id++) sm[tile + (id / d) * ld + id % d] *= scale;
    }

    /** sm_flash_fwd(q, k, v, mask, out, lse, H, L, S, dk, dv, causal, offset, scale); grid (B, ceil(L / BT)). */
    static void flashForward(Geo g, int gx, int gy, Args a) {
        a.expect(14);
        ElementType t = g.precision().inputType();
        float[] q = a.floats(0, t), k = a.floats(1, t), v = a.floats(2, t), mask = a.f32(3), out = a.f32(4), lse = a.f32(5);
        int heads = a.i32(6), len = a.i32(7), s = a.i32(8), dk = a.i32(9), dv = a.i32(10), offset = a.i32(12);
        boolean causal = a.i32(11) != 0;
        float scale = a.f(13);
        int bt = g.bt(), d = g.d(), ld = g.ld(), ldt = g.ldt();
        for (int b = 0; b < gx; b++) {
            for (int by = 0; by < gy; by++) {
                float[] sm = sharedMemory(g.fwdFloats());
                int tq = 0, tk = tq + g.tile(), tv = tk + g.tile(), to = tv + g.tile(), ts = to + g.tile();
                int rowMax = ts + g.sq(), rowSum = rowMax + bt, rowAlpha = rowSum + bt;
                int n = b / heads, i0 = by * bt;
                long maskBase = (long) n * s;
                loadRows(sm, tq, ld, q, (long) b * len * dk, i0, len, dk, bt, d);
                zeroTile(sm, to, ld, bt, d);
                for (int r = 0; r < bt; r++) {
                    sm[rowMax + r] = NEG_INF;
                    sm[rowSum + r] = 0f;
                }
                scaleTile(sm, tq, ld, bt, d, scale);
                int jEnd = causal ? Math.min(s, offset + i0 + bt) : s;
                for (int j0 = 0; j0 < jEnd; j0 += bt) {
                    loadRows(sm, tk, ld, k, (long) b * s * dk, j0, s, dk, bt, d);
                    loadRows(sm, tv, ld, v, (long) b * s * dv, j0, s, dv, bt, d);
                    gemm(g.precision(), false, true, bt, bt, d, sm, tq, ld, sm, tk, ld, sm, ts, ldt, false);
                    for (int r = 0; r < bt; r++) {
                        int i = i0 + r;
                        float mx = NEG_INF;
                        for (int c = 0; c < bt; c++) {
                            if (keyAllowed(mask, maskBase, j0 + c, s, i, causal, offset)) mx = Math.max(mx, sm[ts + r * ldt + c]);
                        }
                        float mOld = sm[rowMax + r], mNew = Math.max(mOld, mx);
                        float sum = 0f;
                        for (int c = 0; c < bt; c++) {
                            boolean ok = mNew != NEG_INF && keyAllowed(mask, maskBase, j0 + c, s, i, causal, offset);
                            float p = ok ? (float) Math.exp(sm[ts + r * ldt + c] - mNew) : 0f;
                            sm[ts + r * ldt + c] = p;
                            sum += p;
                        }
                        float alpha = mNew == NEG_INF ? 1f : (float) Math.exp(mOld - mNew);
                        sm[rowAlpha + r] = alpha;
                        sm[rowSum + r] = sm[rowSum + r] * alpha + sum;
                        sm[rowMax + r] = mNew;
                    }
                    for (int id = 0; id < bt * d; id++) sm[to + (id / d) * ld + id % d] *= sm[rowAlpha + id / d];
                    gemm(g.precision(), false, false, bt, d, bt, sm, ts, ldt, sm, tv, ld, sm, to, ld, true);
                }
                for (int id = 0; id < bt * d; id++) {
                    int r = id / d, e = id % d, i = i0 + r;
                    if (i < len && e < dv) {
                        out[idx(((long) b * len + i) * dv + e)] = sm[rowSum + r] > 0f ? sm[to + r * ld + e] / sm[rowSum + r] : 0f;
                    }
                }
                for (int r = 0; r < bt; r++) {
                    if (i0 + r < len) {
                        lse[idx((long) b * len + i0 + r)] = sm[rowSum + r] > 0f
                                ? sm[rowMax + r] + (float) Math.log(sm[rowSum + r]) : NEG_INF;
                    }
                }
            }
        }
    }

    static void loadRowStats(float[] sm, int rowLse, int rowDelta, int bt, float[] lse, float[] delta, long base, int i0,
                             int len) {
        for (int r = 0; r < bt; r++) {
            sm[rowLse + r] = i0 + r < len ? lse[idx(base + i0 + r)] : NEG_INF;
            sm[rowDelta + r] = i0 + r < len ? delta[idx(base + i0 + r)] : 0f;
        }
    }

    static void probabilitiesAndDscores(Geo g, float[] sm, int tp, int tds, int rowLse, int rowDelta, float[] mask,
                                        long maskBase, int i0, int j0, int s, boolean causal, int offset) {
        int bt = g.bt(), ldt = g.ldt();
        for (int id = 0; id < bt * bt; id++) {
            int r = id / bt, c = id % bt;
            boolean ok = sm[rowLse + r] != NEG_INF && keyAllowed(mask, maskBase, j0 + c, s, i0 + r, causal, offset);
            float p = ok ? (float) Math.exp(sm[tp + r * ldt + c] - sm[rowLse + r]) : 0f;
            sm[tp + r * ldt + c] = p;
            if (tds >= 0) sm[tds + r * ldt + c] = p * (sm[tds + r * ldt + c] - sm[rowDelta + r]);
        }
    }

    /**
     * sm_flash_bwd_kv(q, k, v, g, mask, lse, delta, dk, dv, H, L, S, dk, dv, causal, offset, scale);
     * grid (B, ceil(S / BT)).
     */
    static void flashBackwardKv(Geo geo, int gx, int gy, Args a) {
        a.expect(17);
        ElementType t = geo.precision().inputType();
        float[] q = a.floats(0, t), k = a.floats(1, t), v = a.floats(2, t), g = a.floats(3, t);
        float[] mask = a.f32(4), lse = a.f32(5), delta = a.f32(6), dkOut = a.f32(7), dvOut = a.f32(8);
        int heads = a.i32(9), len = a.i32(10), s = a.i32(11), dk = a.i32(12), dv = a.i32(13), offset = a.i32(15);
        boolean causal = a.i32(14) != 0;
        float scale = a.f(16);
        Precision pr = geo.precision();
        int bt = geo.bt(), d = geo.d(), ld = geo.ld(), ldt = geo.ldt();
        for (int b = 0; b < gx; b++) {
            for (int by = 0; by < gy; by++) {
                float[] sm = sharedMemory(geo.kvFloats());
                int tk = 0, tv = tk + geo.tile(), tdk = tv + geo.tile(), tdv = tdk + geo.tile(), tq = tdv + geo.tile();
                int tg = tq + geo.tile(), tp = tg + geo.tile(), tds = tp + geo.sq(), rowLse = tds + geo.sq(), rowDelta = rowLse + bt;
                int n = b / heads, j0 = by * bt;
                long maskBase = (long) n * s;
                loadRows(sm, tk, ld, k, (long) b * s * dk, j0, s, dk, bt, d);
                loadRows(sm, tv, ld, v, (long) b * s * dv, j0, s, dv, bt, d);
                zeroTile(sm, tdk, ld, bt, d);
                zeroTile(sm, tdv, ld, bt, d);
                int iStart = causal ? Math.max(0, j0 - offset) / bt * bt : 0;
                for (int i0 = iStart; i0 < len; i0 += bt) {
                    loadRows(sm, tq, ld, q, (long) b * len * dk, i0, len, dk, bt, d);
                    loadRows(sm, tg, ld, g, (long) b * len * dv, i0, len, dv, bt, d);
                    loadRowStats(sm, rowLse, rowDelta, bt, lse, delta, (long) b * len, i0, len);
                    scaleTile(sm, tq, ld, bt, d, scale);
                    gemm(pr, false, true, bt, bt, d, sm, tq, ld, sm, tk, ld, sm, tp, ldt, false);
                    gemm(pr, false, true, bt, bt, d, sm, tg, ld, sm, tv, ld, sm, tds, ldt, false);
                    probabilitiesAndDscores(geo, sm, tp, tds, rowLse, rowDelta, mask, maskBase, i0, j0, s, causal, offset);
                    gemm(pr, true, false, bt, d, bt, sm, tp, ldt, sm, tg, ld, sm, tdv, ld, true);
                    gemm(pr, true, false, bt, d, bt, sm, tds, ldt, sm, tq, ld, sm, tdk, ld, true);
                }
                storeRows(sm, tdk, ld, dkOut, (long) b * s * dk, j0, s, dk, bt, d, 1f);
                storeRows(sm, tdv, ld, dvOut, (long) b * s * dv, j0, s, dv, bt, d, 1f);
            }
        }
    }

    /**
     * sm_flash_bwd_q(q, k, v, g, mask, lse, delta, dq, H, L, S, dk, dv, causal, offset, scale);
     * grid (B, ceil(L / BT)).
     */
    static void flashBackwardQ(Geo geo, int gx, int gy, Args a) {
        a.expect(16);
        ElementType t = geo.precision().inputType();
        float[] q = a.floats(0, t), k = a.floats(1, t), v = a.floats(2, t), g = a.floats(3, t);
        float[] mask = a.f32(4), lse = a.f32(5), delta = a.f32(6), dqOut = a.f32(7);
        int heads = a.i32(8), len = a.i32(9), s = a.i32(10), dk = a.i32(11), dv = a.i32(12), offset = a.i32(14);
        boolean causal = a.i32(13) != 0;
        float scale = a.f(15);
        Precision pr = geo.precision();
        int bt = geo.bt(), d = geo.d(), ld = geo.ld(), ldt = geo.ldt();
        for (int b = 0; b < gx; b++) {
            for (int by = 0; by < gy; by++) {
                float[] sm = sharedMemory(geo.qFloats());
                int tq = 0, tg = tq + geo.tile(), tdq = tg + geo.tile(), tk = tdq + geo.tile(), tv = tk + geo.tile();
                int tp = tv + geo.tile(), tds = tp + geo.sq(), rowLse = tds + geo.sq(), rowDelta = rowLse + bt;
                int n = b / heads, i0 = by * bt;
                long maskBase = (long) n * s;
                loadRows(sm, tq, ld, q, (long) b * len * dk, i0, len, dk, bt, d);
                loadRows(sm, tg, ld, g, (long) b * len * dv, i0, len, dv, bt, d);
                loadRowStats(sm, rowLse, rowDelta, bt, lse, delta, (long) b * len, i0, len);
                zeroTile(sm, tdq, ld, bt, d);
                scaleTile(sm, tq, ld, bt, d, scale);
                int jEnd = causal ? Math.min(s, offset + i0 + bt) : s;
                for (int j0 = 0; j0 < jEnd; j0 += bt) {
                    loadRows(sm, tk, ld, k, (long) b * s * dk, j0, s, dk, bt, d);
                    loadRows(sm, tv, ld, v, (long) b * s * dv, j0, s, dv, bt, d);
                    gemm(pr, false, true, bt, bt, d, sm, tq, ld, sm, tk, ld, sm, tp, ldt, false);
                    gemm(pr, false, true, bt, bt, d, sm, tg, ld, sm, tv, ld, sm, tds, ldt, false);
                    probabilitiesAndDscores(geo, sm, tp, tds, rowLse, rowDelta, mask, maskBase, i0, j0, s, causal, offset);
                    gemm(pr, false, false, bt, d, bt, sm, tds, ldt, sm, tk, ld, sm, tdq, ld, true);
                }
                storeRows(sm, tdq, ld, dqOut, (long) b * len * dk, i0, len, dk, bt, d, scale);
            }
        }
    }
}
