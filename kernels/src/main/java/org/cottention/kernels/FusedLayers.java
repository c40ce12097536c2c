package org.cottention.kernels;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Single-pass layer kernels on C-ordered contiguous ND4J arrays (FLOAT or DOUBLE), replacing chains of ND4J
 * elementwise and broadcasting ops (GELU-tanh took 9 passes forward and 19 backward; a column sum of a 4096 x 512
 * array 9.6 ms): each reads its inputs once and writes its outputs once, in chunks of {@link #CHUNK} elements
 * (whole rows for the row kernels) run in parallel on {@link KernelThreads}. float32 goes through
 * {@link Float32Lanes} (the JDK Vector API), float64 through {@link Float64Loops} (plain scalar Java, exact):
 * <ul>
 * <li>GELU tanh (gelu_new): t = tanh(k (x + c x^3)), y = 0.5 x (1 + t); dx = dy (0.5 (1 + t) + 0.5 x (1 - t^2)
 *     k (1 + 3 c x^2)), k = sqrt(2/pi), c = 0.044715. t is kept for the backward.</li>
 * <li>GELU erf: e = erf(x / sqrt 2), y = 0.5 x (1 + e); dx = dy (0.5 (1 + e) + x phi(x)). e is kept.</li>
 * <li>LayerNorm over the last axis: y = xhat gamma + beta, xhat = (x - mean) rstd, rstd = 1 / sqrt(var + eps)
 *     (biased var); dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = dy gamma; dgamma += sum
 *     dy xhat, dbeta += sum dy.</li>
 * <li>Softmax cross-entropy per row, with its gradient scale (softmax - onehot) / count.</li>
 * <li>The AdamW update, and column sums (bias gradients) as one BLAS product with a ones vector.</li>
 * </ul>
 * Chunks depend on the array sizes only, never on the thread count, so results are the same with any number of
 * threads (a resumed run on another machine reproduces the losses).
 */
public final class FusedLayers {
    private FusedLayers() {}

    /** Elements per chunk: 16k (64 KiB of floats per operand, L2-resident). */
    static final int CHUNK = 1 << 14;

    /** Per-thread scratch: up to 5 operands of one chunk, float and double. */
    private static final class Scratch {
        float[][] f = new float[5][CHUNK];
        double[][] d = new double[5][CHUNK];

        float[][] floats(int size) {
            if (f[0].length < size) f = new float[5][size];
            return f;
        }

        double[][] doubles(int size) {
            if (d[0].length < size) d = new double[5][size];
            return d;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Body of an elementwise kernel on one chunk: in and out arrays (the first ins, then the outs), n elements. */
    private interface FloatBody {
        void run(float[][] a, int n);
    }

    private interface DoubleBody {
        void run(double[][] a, int n);
    }

    /**
     * Runs an elementwise kernel over equal-length arrays: ins are read into scratch slots 0.., outs are written from
     * the slots that follow. An out may be an in (its chunk is read before it is written).
     */
    private static void elementwise(INDArray[] ins, INDArray[] outs, FloatBody f, DoubleBody d) {
        long n = ins[0].length();
        RawArray[] in = raws(ins), out = raws(outs);
        boolean isFloat = in[0].isFloat();
        int chunks = (int) ((n + CHUNK - 1) / CHUNK);
        KernelThreads.forEach(chunks, c -> {
            long off = (long) c * CHUNK;
            int len = (int) Math.min(CHUNK, n - off);
            Scratch s = SCRATCH.get();
            if (isFloat) {
                float[][] a = s.floats(CHUNK);
                for (int i = 0; i < in.length; i++) in[i].readFloats(off, a[i], 0, len);
                f.run(a, len);
                for (int i = 0; i < out.length; i++) out[i].writeFloats(off, a[in.length + i], 0, len);
            } else {
                double[][] a = s.doubles(CHUNK);
                for (int i = 0; i < in.length; i++) in[i].read(off, a[i], 0, len);
                d.run(a, len);
                for (int i = 0; i < out.length; i++) out[i].write(off, a[in.length + i], 0, len);
            }
        });
    }

    private static RawArray[] raws(INDArray[] xs) {
        RawArray[] r = new RawArray[xs.length];
        DataType dt = xs[0].dataType();
        long n = xs[0].length();
        for (int i = 0; i < xs.length; i++) {
            if (xs[i].dataType() != dt || xs[i].length() != n) {
                throw new IllegalArgumentException("fused kernel: operands of one dtype and length expected, got "
                        + xs[i].dataType() + " " + xs[i].length() + " and " + dt + " " + n);
            }
            r[i] = RawArray.of(xs[i]);
        }
        return r;
    }

    /** GELU tanh: y, t from x (all one shape). */
    public static void geluTanhForward(INDArray x, INDArray y, INDArray t) {
        elementwise(new INDArray[] {x}, new INDArray[] {y, t},
                (a, n) -> Float32Lanes.geluTanhForward(a[0], a[1], a[2], n),
                (a, n) -> Float64Loops.geluTanhForward(a[0], a[1], a[2], n));
    }

    /** GELU tanh backward: dx from dy, x and the forward's t; dx may be dy. */
    public static void geluTanhBackward(INDArray dy, INDArray x, INDArray t, INDArray dx) {
        elementwise(new INDArray[] {dy, x, t}, new INDArray[] {dx},
                (a, n) -> Float32Lanes.geluTanhBackward(a[0], a[1], a[2], a[3], n),
                (a, n) -> Float64Loops.geluTanhBackward(a[0], a[1], a[2], a[3], n));
    }

    /** GELU erf: y, e = erf(x / sqrt 2) from x. */
    public static void geluErfForward(INDArray x, INDArray y, INDArray e) {
        elementwise(new INDArray[] {x}, new INDArray[] {y, e},
                (a, n) -> Float32Lanes.geluErfForward(a[0], a[1], a[2], n),
                (a, n) -> Float64Loops.geluErfForward(a[0], a[1], a[2], n));
    }

    /** GELU erf backward: dx from dy, x and the forward's e; dx may be dy. */
    public static void geluErfBackward(INDArray dy, INDArray x, INDArray e, INDArray dx) {
        elementwise(new INDArray[] {dy, x, e}, new INDArray[] {dx},
                (a, n) -> Float32Lanes.geluErfBackward(a[0], a[1], a[2], a[3], n),
                (a, n) -> Float64Loops.geluErfBackward(a[0], a[1], a[2], a[3], n));
    }

    /** Rows per chunk of a row kernel of width w. */
    private static int rowsPerChunk(int w) {
        return Math.max(1, CHUNK / w);
    }

    /**
     * LayerNorm of x (M, E) into y (M, E), keeping xhat (M, E) and rstd (M) for the backward; gamma, beta (E).
     */
    public static void layerNormForward(INDArray x, INDArray gamma, INDArray beta, double eps, INDArray y,
                                        INDArray xhat, INDArray rstd) {
        int w = (int) x.size(1);
        long rows = x.size(0);
        RawArray xr = RawArray.of(x), yr = RawArray.of(y), hr = RawArray.of(xhat), rr = RawArray.of(rstd);
        RawArray gr = RawArray.of(gamma), br = RawArray.of(beta);
        boolean isFloat = xr.isFloat();
        int per = rowsPerChunk(w), chunks = (int) ((rows + per - 1) / per);
        float[] gf = isFloat ? floats(gr, w) : null, bf = isFloat ? floats(br, w) : null;
        double[] gd = isFloat ? null : doubles(gr, w), bd = isFloat ? null : doubles(br, w);
        KernelThreads.forEach(chunks, c -> {
            long r0 = (long) c * per;
            int nr = (int) Math.min(per, rows - r0), len = nr * w;
            Scratch s = SCRATCH.get();
            if (isFloat) {
                float[][] a = s.floats(len);
                xr.readFloats(r0 * w, a[0], 0, len);
                Float32Lanes.layerNormForward(a[0], gf, bf, (float) eps, a[1], a[2], a[3], nr, w);
                yr.writeFloats(r0 * w, a[1], 0, len);
                hr.writeFloats(r0 * w, a[2], 0, len);
                rr.writeFloats(r0, a[3], 0, nr);
            } else {
                double[][] a = s.doubles(len);
                xr.read(r0 * w, a[0], 0, len);
                Float64Loops.layerNormForward(a[0], gd, bd, eps, a[1], a[2], a[3], nr, w);
                yr.write(r0 * w, a[1], 0, len);
                hr.write(r0 * w, a[2], 0, len);
                rr.write(r0, a[3], 0, nr);
            }
        });
    }

    /**
     * LayerNorm backward: dx (M, E) from dy, the forward's xhat and rstd, and gamma (E); adds the sums over rows of
     * dy xhat to dgamma and of dy to dbeta (E each). dx may be dy.
     */
    public static void layerNormBackward(INDArray dy, INDArray xhat, INDArray rstd, INDArray gamma, INDArray dx,
                                         INDArray dgamma, INDArray dbeta) {
        int w = (int) dy.size(1);
        long rows = dy.size(0);
        RawArray dyr = RawArray.of(dy), hr = RawArray.of(xhat), rr = RawArray.of(rstd), dxr = RawArray.of(dx);
        RawArray gr = RawArray.of(gamma);
        boolean isFloat = dyr.isFloat();
        int per = rowsPerChunk(w), chunks = (int) ((rows + per - 1) / per);
        float[] gf = isFloat ? floats(gr, w) : null;
        double[] gd = isFloat ? null : doubles(gr, w);
        double[][] partG = new double[chunks][], partB = new double[chunks][];   // per chunk: summed in chunk order
        KernelThreads.forEach(chunks, c -> {
            long r0 = (long) c * per;
            int nr = (int) Math.min(per, rows - r0), len = nr * w;
            Scratch s = SCRATCH.get();
            double[] pg = new double[w], pb = new double[w];
            if (isFloat) {
                float[][] a = s.floats(len);
                dyr.readFloats(r0 * w, a[0], 0, len);
                hr.readFloats(r0 * w, a[1], 0, len);
                rr.readFloats(r0, a[2], 0, nr);
                float[] fg = new float[w], fb = new float[w];
                Float32Lanes.layerNormBackward(a[0], a[1], a[2], gf, a[3], fg, fb, nr, w);
                dxr.writeFloats(r0 * w, a[3], 0, len);
                for (int j = 0; j < w; j++) {
                    pg[j] = fg[j];
                    pb[j] = fb[j];
                }
            } else {
                double[][] a = s.doubles(len);
                dyr.read(r0 * w, a[0], 0, len);
                hr.read(r0 * w, a[1], 0, len);
                rr.read(r0, a[2], 0, nr);
                Float64Loops.layerNormBackward(a[0], a[1], a[2], gd, a[3], pg, pb, nr, w);
                dxr.write(r0 * w, a[3], 0, len);
            }
            partG[c] = pg;
            partB[c] = pb;
        });
        addSums(dgamma, partG, w);
        addSums(dbeta, partB, w);
    }

    /** acc += the sum over chunks (in chunk order) of parts, (w). */
    private static void addSums(INDArray acc, double[][] parts, int w) {
        RawArray ar = RawArray.of(acc);
        double[] total = new double[w];
        ar.read(0, total, 0, w);
        for (double[] p : parts) for (int j = 0; j < w; j++) total[j] += p[j];
        ar.write(0, total, 0, w);
    }

    private static float[] floats(RawArray r, int n) {
        float[] out = new float[n];
        r.readFloats(0, out, 0, n);
        return out;
    }

    private static double[] doubles(RawArray r, int n) {
        double[] out = new double[n];
        r.read(0, out, 0, n);
        return out;
    }

    /**
     * The softmax cross-entropy of each row of z (M, C) against labels (M; negative = no loss): the sum of the
     * losses, and, when grad is not null, grad (M, C) = weight (softmax(z) - onehot(label)) on labelled rows (0 on
     * the others). predicted (M) gets each row's argmax. Returns the summed loss.
     */
    public static double softmaxCrossEntropy(INDArray z, int[] labels, double weight, INDArray grad, int[] predicted) {
        int c = (int) z.size(1);
        long rows = z.size(0);
        RawArray zr = RawArray.of(z), gr = grad == null ? null : RawArray.of(grad);
        boolean isFloat = zr.isFloat();
        int per = rowsPerChunk(c), chunks = (int) ((rows + per - 1) / per);
        double[] part = new double[chunks];
        KernelThreads.forEach(chunks, k -> {
            long r0 = (long) k * per;
            int nr = (int) Math.min(per, rows - r0), len = nr * c;
            Scratch s = SCRATCH.get();
            if (isFloat) {
                float[][] a = s.floats(len);
                zr.readFloats(r0 * c, a[0], 0, len);
                part[k] = Float32Lanes.softmaxCrossEntropy(a[0], labels, (int) r0, (float) weight,
                        gr == null ? null : a[1], predicted, nr, c);
                if (gr != null) gr.writeFloats(r0 * c, a[1], 0, len);
            } else {
                double[][] a = s.doubles(len);
                zr.read(r0 * c, a[0], 0, len);
                part[k] = Float64Loops.softmaxCrossEntropy(a[0], labels, (int) r0, weight, gr == null ? null : a[1],
                        predicted, nr, c);
                if (gr != null) gr.write(r0 * c, a[1], 0, len);
            }
        });
        double total = 0;
        for (double p : part) total += p;
        return total;
    }

    /**
     * One AdamW step in place on the flat parameter, gradient and moment buffers (P each); decayMask (P) holds 1
     * where weight decay applies, or is null for every entry. c1, c2: the bias corrections 1 - beta^t.
     */
    public static void adamW(INDArray p, INDArray g, INDArray m, INDArray v, INDArray decayMask, double lr, double b1,
                             double b2, double eps, double wd, double c1, double c2) {
        INDArray[] ins = decayMask == null ? new INDArray[] {p, g, m, v} : new INDArray[] {p, g, m, v, decayMask};
        raws(ins);                                        // one dtype and length, else a clear error
        long n = p.length();
        RawArray pr = RawArray.of(p), gr = RawArray.of(g), mr = RawArray.of(m), vr = RawArray.of(v);
        RawArray dr = decayMask == null ? null : RawArray.of(decayMask);
        boolean isFloat = pr.isFloat();
        int chunks = (int) ((n + CHUNK - 1) / CHUNK);
        KernelThreads.forEach(chunks, c -> {
            long off = (long) c * CHUNK;
            int len = (int) Math.min(CHUNK, n - off);
            Scratch s = SCRATCH.get();
            if (isFloat) {
                float[][] a = s.floats(CHUNK);
                pr.readFloats(off, a[0], 0, len);
                gr.readFloats(off, a[1], 0, len);
                mr.readFloats(off, a[2], 0, len);
                vr.readFloats(off, a[3], 0, len);
                if (dr != null) dr.readFloats(off, a[4], 0, len);
                Float32Lanes.adamW(a[0], a[1], a[2], a[3], dr == null ? null : a[4], len, (float) lr, (float) b1,
                        (float) b2, (float) eps, (float) wd, (float) c1, (float) c2);
                pr.writeFloats(off, a[0], 0, len);
                mr.writeFloats(off, a[2], 0, len);
                vr.writeFloats(off, a[3], 0, len);
            } else {
                double[][] a = s.doubles(CHUNK);
                pr.read(off, a[0], 0, len);
                gr.read(off, a[1], 0, len);
                mr.read(off, a[2], 0, len);
                vr.read(off, a[3], 0, len);
                if (dr != null) dr.read(off, a[4], 0, len);
                Float64Loops.adamW(a[0], a[1], a[2], a[3], dr == null ? null : a[4], len, lr, b1, b2, eps, wd, c1, c2);
                pr.write(off, a[0], 0, len);
                mr.write(off, a[2], 0, len);
                vr.write(off, a[3], 0, len);
            }
        });
    }

    /** acc (N) += the column sums of x (M, N): one BLAS product ones(1, M) x (M, N) (a bias gradient). */
    public static void addColumnSums(INDArray x, INDArray acc) {
        int m = (int) x.size(0), n = (int) x.size(1);
        INDArray ones = Nd4j.ones(x.dataType(), 1, m);
        RawArray.gemm(1, RawArray.of(ones).matrix(0, 1, m), RawArray.of(x).matrix(0, m, n), 1,
                RawArray.of(acc).matrix(0, 1, n));
    }

    /**
     * Rotary embedding of interleaved pairs, x (B, s, d) -> out (B, s, d), position t of every row block using row
     * offset + t of the tables cos, sin (P, d): out_j = x_j cos_j + x_(j xor 1) sin_j (forward; sin already carries
     * the pair's sign: -sin for even j, +sin for odd), or its transpose, dx_j = dy_j cos_j + dy_(j xor 1)
     * sin_(j xor 1) (backward). out may not be x.
     */
    public static void rotary(INDArray x, INDArray cos, INDArray sin, long offset, boolean transpose, INDArray out) {
        long b = x.size(0);
        int s = (int) x.size(1), d = (int) x.size(2);
        RawArray xr = RawArray.of(x), or = RawArray.of(out);
        double[] c = new double[s * d], sn = new double[s * d];
        RawArray.of(cos).read(offset * d, c, 0, s * d);
        RawArray.of(sin).read(offset * d, sn, 0, s * d);
        int per = Math.max(1, CHUNK / (s * d)), chunks = (int) ((b + per - 1) / per);
        KernelThreads.forEach(chunks, k -> {
            long b0 = (long) k * per;
            int nb = (int) Math.min(per, b - b0), len = nb * s * d;
            double[][] a = SCRATCH.get().doubles(len);
            xr.read(b0 * s * d, a[0], 0, len);
            double[] in = a[0], y = a[1];
            for (int blk = 0, o = 0; blk < nb; blk++) {
                for (int t = 0, tt = 0; t < s; t++, tt += d, o += d) {
                    for (int j = 0; j < d; j++) {
                        int p = j ^ 1;
                        y[o + j] = in[o + j] * c[tt + j] + in[o + p] * (transpose ? sn[tt + p] : sn[tt + j]);
                    }
                }
            }
            or.write(b0 * s * d, y, 0, len);
        });
    }
}
