package org.cottention.kernels;

import java.nio.Buffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The memory of one C-ordered, contiguous ND4J array (FLOAT or DOUBLE), for the CPU kernels: rows read into and
 * written from double[] (element loops then run on plain Java arrays), and BLAS matrix products on row-major
 * blocks of it. Going straight to the buffer avoids ND4J's per-op overhead, which dominates for the small
 * (chunk x d) products of chunked attention and for row-wise softmax. Offsets count elements.
 */
public abstract class RawArray {

    /**
     * Java NIO buffers index with an int and hold at most 2 GiB, so the memory is seen through buffers of
     * 2^SEGMENT_BITS elements each (512 MiB of floats): arrays of any size work, and the bulk reads and writes of
     * the row operations split where they cross a segment boundary.
     */
    static final int SEGMENT_BITS = 27;

    /** Wraps x, which must be C-ordered and contiguous (see {@link #contiguous}). */
    public static RawArray of(INDArray x) {
        return of(x, SEGMENT_BITS);
    }

    /** As {@link #of(INDArray)} with segments of 2^segmentBits elements (small ones let tests cross boundaries). */
    static RawArray of(INDArray x, int segmentBits) {
        if (!isContiguous(x)) {
            throw new IllegalArgumentException("RawArray needs a C-ordered contiguous array, got " + x.shapeInfoToString());
        }
        long n = x.length();
        Pointer base = x.data().addressPointer();
        // data() of a view is itself offset: its addressPointer() is the first element of x, so no x.offset() here.
        if (x.dataType() == DataType.FLOAT) return new F32(new FloatPointer(base), n, segmentBits);
        if (x.dataType() == DataType.DOUBLE) return new F64(new DoublePointer(base), n, segmentBits);
        throw new IllegalArgumentException("FLOAT or DOUBLE expected, got " + x.dataType());
    }

    /** The memory as NIO buffers of 2^bits elements each (the last one shorter). */
    private final Buffer[] segments;
    private final int bits, mask;

    /** first: a pointer at element 0 of the n elements; segments of 2^bits elements. */
    private RawArray(Pointer first, long n, int bits) {
        this.bits = bits;
        this.mask = (1 << bits) - 1;
        this.segments = new Buffer[(int) ((n + mask) >>> bits)];
        for (int i = 0; i < segments.length; i++) {
            long from = (long) i << bits;
            // A pointer at the segment's first element, position 0 (JavaCPP's asBuffer() is off by one element from
            // a non-zero position); its asBuffer() is the FloatBuffer or DoubleBuffer of the pointer's type.
            Pointer at = first.getPointer(from);
            segments[i] = at.limit(Math.min(n - from, 1L << bits)).asBuffer();
        }
    }

    /** The segment that holds element i. */
    final Buffer segment(long i) {
        return segments[(int) (i >>> bits)];
    }

    /** Element i's index within its segment. */
    final int within(long i) {
        return (int) (i & mask);
    }

    /** How many of the n elements from offset on lie in offset's segment. */
    final int run(long offset, int n) {
        return Math.min(n, mask + 1 - within(offset));
    }

    /** A C-ordered contiguous version of x: x itself when it already is one. */
    public static INDArray contiguous(INDArray x) {
        return isContiguous(x) ? x : x.dup('c');
    }

    /** Row-major and gap-free: each dimension of size > 1 has the stride of the dimensions after it. */
    public static boolean isContiguous(INDArray x) {
        long expected = 1;
        for (int i = x.rank() - 1; i >= 0; i--) {
            if (x.size(i) > 1 && x.stride(i) != expected) return false;
            expected *= x.size(i);
        }
        return true;
    }

    public abstract double get(long i);

    public abstract void set(long i, double v);

    /** dst[dstOff .. dstOff+n) = this[offset .. offset+n). */
    public abstract void read(long offset, double[] dst, int dstOff, int n);

    /** this[offset .. offset+n) = src[srcOff .. srcOff+n). */
    public abstract void write(long offset, double[] src, int srcOff, int n);

    /** this[offset .. offset+n) = 0. */
    public abstract void zero(long offset, long n);

    /** Whether this is a float32 array (else float64). */
    public abstract boolean isFloat();

    /** dst[dstOff .. dstOff+n) = this[offset .. offset+n), float32 arrays only (the vector kernels' input). */
    public void readFloats(long offset, float[] dst, int dstOff, int n) {
        ((F32) this).bulkGet(offset, dst, dstOff, n);
    }

    /** this[offset .. offset+n) = src[srcOff .. srcOff+n), float32 arrays only. */
    public void writeFloats(long offset, float[] src, int srcOff, int n) {
        ((F32) this).bulkPut(offset, src, srcOff, n);
    }

    // Row operations on `rows` consecutive rows of width d starting at row r0 (elements r0*d ...), computed in
    // double, one bulk read and write per call: the elementwise steps of the kernels, in the array's own dtype.

    /** out[i] = row r0+i of this . row r0+i of other (both of this dtype). */
    public abstract void rowDots(RawArray other, long r0, int rows, int d, double[] out);

    /** row r0+i of dst = factor[i] * row r0+i of this (dst of this dtype; may be this). */
    public abstract void scaleRows(RawArray dst, long r0, int rows, int d, double[] factor);

    /** row r0+i of this = alpha[i] * (row of this) + beta[i] * (row of x), x of this dtype. */
    public abstract void combineRows(RawArray x, long r0, int rows, int d, double[] alpha, double[] beta);

    /**
     * Softmax attention's row operation, in place over the rows x keys block at off: row i becomes the softmax of
     * its entries j < limits[i] with keyMask[j] != 0 (keyMask null: every key), and 0 elsewhere; a row without an
     * allowed key becomes 0. float64: exact (Math.exp, double sums); float32: on vectors (Float32Lanes).
     */
    public abstract void softmaxRows(long off, int rows, int keys, int[] limits, double[] keyMask);

    /**
     * Softmax attention's backward row operation over the rows x cols block at off: this holds dP on entry and dS
     * on exit, dS = P ⊙ (D - rowsum(P ⊙ D)) * scale with D = dP ⊙ keep (keep null: D = dP); p and keep of this dtype.
     */
    public abstract void softmaxBackwardRows(RawArray p, RawArray keep, long off, int rows, int cols, double scale);

    /** to[toOff .. toOff+n) = from[fromOff .. fromOff+n); both of one dtype. */
    public static void copy(RawArray from, long fromOff, RawArray to, long toOff, long n) {
        if (n <= 0) return;
        Pointer.memcpy(to.bytesAt(toOff), from.bytesAt(fromOff), n * to.width());
    }

    /**
     * A byte pointer to element offset, for memcpy and memset: JavaCPP adds a pointer's position in units of its
     * own element type, and those take void* (bytes), so a FloatPointer's position would be off by 4x there.
     */
    BytePointer bytesAt(long offset) {
        return new BytePointer(base()).position(offset * width());
    }

    /** The first element of the array. */
    abstract Pointer base();

    abstract int width();

    /**
     * A row-major rows x cols block of a RawArray starting at element offset (leading dimension cols), or, when
     * transposed, the cols x rows transpose of that block: an operand of {@link #gemm}.
     */
    public record Matrix(RawArray data, long offset, int rows, int cols, boolean transposed) {
        /** The transpose of this operand (same memory). */
        public Matrix t() {
            return new Matrix(data, offset, rows, cols, !transposed);
        }

        /** Rows of the operand as the product sees it. */
        int opRows() {
            return transposed ? cols : rows;
        }

        int opCols() {
            return transposed ? rows : cols;
        }

        @Override
        public String toString() {
            return (transposed ? "(" + rows + " x " + cols + ")^T" : rows + " x " + cols) + " at " + offset;
        }
    }

    /** The row-major rows x cols block of this array that starts at element offset. */
    public Matrix matrix(long offset, int rows, int cols) {
        return new Matrix(this, offset, rows, cols, false);
    }

    /**
     * c = alpha a b + beta c, one single BLAS call (sgemm or dgemm by dtype); a and b may be transposed views. All
     * three share one dtype; a's columns must equal b's rows, and c must be a's rows x b's columns.
     */
    public static void gemm(double alpha, Matrix a, Matrix b, double beta, Matrix c) {
        int m = a.opRows(), k = a.opCols(), n = b.opCols();
        if (b.opRows() != k || c.transposed() || c.rows() != m || c.cols() != n) {
            throw new IllegalArgumentException("gemm: " + a + " times " + b + " into " + c);
        }
        if (m == 0 || n == 0) return;
        int ta = a.transposed() ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans;
        int tb = b.transposed() ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans;
        if (c.data() instanceof F32 cf) {
            openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, ta, tb, m, n, k, (float) alpha,
                    ((F32) a.data()).at(a.offset()), Math.max(1, a.cols()), ((F32) b.data()).at(b.offset()),
                    Math.max(1, b.cols()), (float) beta, cf.at(c.offset()), Math.max(1, c.cols()));
        } else {
            openblas_nolapack.cblas_dgemm(openblas_nolapack.CblasRowMajor, ta, tb, m, n, k, alpha,
                    ((F64) a.data()).at(a.offset()), Math.max(1, a.cols()), ((F64) b.data()).at(b.offset()),
                    Math.max(1, b.cols()), beta, ((F64) c.data()).at(c.offset()), Math.max(1, c.cols()));
        }
    }

    private static final class F32 extends RawArray {
        private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[256]);
        private final FloatPointer base;

        F32(FloatPointer base, long n, int bits) {
            super(base, n, bits);
            this.base = base;
        }

        @Override
        public boolean isFloat() {
            return true;
        }

        private FloatBuffer seg(long i) {
            return (FloatBuffer) segment(i);
        }

        /** dst[dstOff .. dstOff+n) = this[offset .. offset+n), segment by segment. */
        private void bulkGet(long offset, float[] dst, int dstOff, int n) {
            for (int len; n > 0; offset += len, dstOff += len, n -= len) {
                len = run(offset, n);
                seg(offset).get(within(offset), dst, dstOff, len);
            }
        }

        /** this[offset .. offset+n) = src[srcOff .. srcOff+n), segment by segment. */
        private void bulkPut(long offset, float[] src, int srcOff, int n) {
            for (int len; n > 0; offset += len, srcOff += len, n -= len) {
                len = run(offset, n);
                seg(offset).put(within(offset), src, srcOff, len);
            }
        }

        FloatPointer at(long offset) {
            return new FloatPointer(base).position(offset);
        }

        @Override
        Pointer base() {
            return base;
        }

        @Override
        int width() {
            return Float.BYTES;
        }

        @Override
        public double get(long i) {
            return seg(i).get(within(i));
        }

        @Override
        public void set(long i, double v) {
            seg(i).put(within(i), (float) v);
        }

        private static float[] scratch(int n) {
            float[] s = SCRATCH.get();
            if (s.length < n) SCRATCH.set(s = new float[Math.max(n, 2 * s.length)]);
            return s;
        }

        @Override
        public void read(long offset, double[] dst, int dstOff, int n) {
            float[] s = scratch(n);
            bulkGet(offset, s, 0, n);
            for (int i = 0; i < n; i++) dst[dstOff + i] = s[i];
        }

        @Override
        public void write(long offset, double[] src, int srcOff, int n) {
            float[] s = scratch(n);
            for (int i = 0; i < n; i++) s[i] = (float) src[srcOff + i];
            bulkPut(offset, s, 0, n);
        }

        @Override
        public void zero(long offset, long n) {
            if (n > ZEROS.length) {
                Pointer.memset(super.bytesAt(offset), 0, n * Float.BYTES);
            } else if (n > 0) {
                bulkPut(offset, ZEROS, 0, (int) n); // no JNI call for the short runs of a masked block
            }
        }

        private static final float[] ZEROS = new float[4096];

        private static final ThreadLocal<float[][]> ROWS = ThreadLocal.withInitial(() -> new float[3][256]);

        private static float[] rowScratch(int slot, int n) {
            float[][] s = ROWS.get();
            if (s[slot].length < n) s[slot] = new float[Math.max(n, 2 * s[slot].length)];
            return s[slot];
        }

        @Override
        public void rowDots(RawArray other, long r0, int rows, int d, double[] out) {
            int n = rows * d;
            long at = r0 * d;
            float[] a = rowScratch(0, n), b = other == this ? a : rowScratch(1, n);   // squared norms read once
            bulkGet(at, a, 0, n);
            if (b != a) ((F32) other).bulkGet(at, b, 0, n);
            Float32Lanes.rowDots(a, b, rows, d, out);
        }

        @Override
        public void scaleRows(RawArray dst, long r0, int rows, int d, double[] factor) {
            int n = rows * d;
            long at = r0 * d;
            float[] a = rowScratch(0, n);
            bulkGet(at, a, 0, n);
            Float32Lanes.scaleRows(a, rows, d, factor);
            ((F32) dst).bulkPut(at, a, 0, n);
        }

        @Override
        public void combineRows(RawArray x, long r0, int rows, int d, double[] alpha, double[] beta) {
            int n = rows * d;
            long at = r0 * d;
            float[] y = rowScratch(0, n), b = rowScratch(1, n);
            bulkGet(at, y, 0, n);
            ((F32) x).bulkGet(at, b, 0, n);
            Float32Lanes.combineRows(y, b, rows, d, alpha, beta);
            bulkPut(at, y, 0, n);
        }

        @Override
        public void softmaxRows(long off, int rows, int keys, int[] limits, double[] keyMask) {
            float[] row = rowScratch(0, Float32Lanes.padded(keys)), allowed = rowScratch(1, Float32Lanes.padded(keys));
            for (int j = 0; j < keys; j++) allowed[j] = keyMask == null || keyMask[j] != 0 ? 1f : 0f;
            for (int i = 0; i < rows; i++) {
                long at = off + (long) i * keys;
                bulkGet(at, row, 0, keys);
                Float32Lanes.softmaxRow(row, keys, limits[i], allowed);
                bulkPut(at, row, 0, keys);
            }
        }

        @Override
        public void softmaxBackwardRows(RawArray p, RawArray keep, long off, int rows, int cols, double scale) {
            float[] d = rowScratch(0, cols), pr = rowScratch(1, cols), kr = keep == null ? null : rowScratch(2, cols);
            for (int i = 0; i < rows; i++) {
                long at = off + (long) i * cols;
                bulkGet(at, d, 0, cols);
                ((F32) p).bulkGet(at, pr, 0, cols);
                if (kr != null) ((F32) keep).bulkGet(at, kr, 0, cols);
                Float32Lanes.softmaxBackwardRow(d, pr, kr, cols, (float) scale);
                bulkPut(at, d, 0, cols);
            }
        }
    }

    private static final class F64 extends RawArray {
        private final DoublePointer base;

        F64(DoublePointer base, long n, int bits) {
            super(base, n, bits);
            this.base = base;
        }

        @Override
        public boolean isFloat() {
            return false;
        }

        private DoubleBuffer seg(long i) {
            return (DoubleBuffer) segment(i);
        }

        /** dst[dstOff .. dstOff+n) = this[offset .. offset+n), segment by segment. */
        private void bulkGet(long offset, double[] dst, int dstOff, int n) {
            for (int len; n > 0; offset += len, dstOff += len, n -= len) {
                len = run(offset, n);
                seg(offset).get(within(offset), dst, dstOff, len);
            }
        }

        /** this[offset .. offset+n) = src[srcOff .. srcOff+n), segment by segment. */
        private void bulkPut(long offset, double[] src, int srcOff, int n) {
            for (int len; n > 0; offset += len, srcOff += len, n -= len) {
                len = run(offset, n);
                seg(offset).put(within(offset), src, srcOff, len);
            }
        }

        DoublePointer at(long offset) {
            return new DoublePointer(base).position(offset);
        }

        @Override
        Pointer base() {
            return base;
        }

        @Override
        int width() {
            return Double.BYTES;
        }

        @Override
        public double get(long i) {
            return seg(i).get(within(i));
        }

        @Override
        public void set(long i, double v) {
            seg(i).put(within(i), v);
        }

        @Override
        public void read(long offset, double[] dst, int dstOff, int n) {
            bulkGet(offset, dst, dstOff, n);
        }

        @Override
        public void write(long offset, double[] src, int srcOff, int n) {
            bulkPut(offset, src, srcOff, n);
        }

        @Override
        public void zero(long offset, long n) {
            if (n > ZEROS.length) {
                Pointer.memset(super.bytesAt(offset), 0, n * Double.BYTES);
            } else if (n > 0) {
                bulkPut(offset, ZEROS, 0, (int) n);
            }
        }

        private static final double[] ZEROS = new double[4096];

        private static final ThreadLocal<double[][]> ROWS = ThreadLocal.withInitial(() -> new double[3][256]);

        private static double[] rowScratch(int slot, int n) {
            double[][] s = ROWS.get();
            if (s[slot].length < n) s[slot] = new double[Math.max(n, 2 * s[slot].length)];
            return s[slot];
        }

        @Override
        public void rowDots(RawArray other, long r0, int rows, int d, double[] out) {
            int n = rows * d;
            long at = r0 * d;
            double[] a = rowScratch(0, n), b = other == this ? a : rowScratch(1, n);  // squared norms read once
            bulkGet(at, a, 0, n);
            if (b != a) ((F64) other).bulkGet(at, b, 0, n);
            for (int i = 0, base = 0; i < rows; i++, base += d) {
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                int e = base, end = base + d, end4 = base + (d & ~3);
                for (; e < end4; e += 4) {
                    s0 += a[e] * b[e];
                    s1 += a[e + 1] * b[e + 1];
                    s2 += a[e + 2] * b[e + 2];
                    s3 += a[e + 3] * b[e + 3];
                }
                for (; e < end; e++) s0 += a[e] * b[e];
                out[i] = (s0 + s1) + (s2 + s3);
            }
        }

        @Override
        public void scaleRows(RawArray dst, long r0, int rows, int d, double[] factor) {
            int n = rows * d;
            long at = r0 * d;
            double[] a = rowScratch(0, n);
            bulkGet(at, a, 0, n);
            for (int i = 0, base = 0; i < rows; i++, base += d) {
                double f = factor[i];
                for (int e = base; e < base + d; e++) a[e] *= f;
            }
            ((F64) dst).bulkPut(at, a, 0, n);
        }

        @Override
        public void combineRows(RawArray x, long r0, int rows, int d, double[] alpha, double[] beta) {
            int n = rows * d;
            long at = r0 * d;
            double[] y = rowScratch(0, n), b = rowScratch(1, n);
            bulkGet(at, y, 0, n);
            ((F64) x).bulkGet(at, b, 0, n);
            for (int i = 0, base = 0; i < rows; i++, base += d) {
                double al = alpha[i], be = beta[i];
                for (int e = base; e < base + d; e++) y[e] = al * y[e] + be * b[e];
            }
            bulkPut(at, y, 0, n);
        }
        @Override
        public void softmaxRows(long off, int rows, int keys, int[] limits, double[] keyMask) {
            double[] row = rowScratch(0, keys);
            for (int i = 0; i < rows; i++) {
                long at = off + (long) i * keys;
                bulkGet(at, row, 0, keys);
                Float64Loops.softmaxRow(row, keys, limits[i], keyMask);
                bulkPut(at, row, 0, keys);
            }
        }

        @Override
        public void softmaxBackwardRows(RawArray p, RawArray keep, long off, int rows, int cols, double scale) {
            double[] d = rowScratch(0, cols), pr = rowScratch(1, cols), kr = keep == null ? null : rowScratch(2, cols);
            for (int i = 0; i < rows; i++) {
                long at = off + (long) i * cols;
                bulkGet(at, d, 0, cols);
                ((F64) p).bulkGet(at, pr, 0, cols);
                if (kr != null) ((F64) keep).bulkGet(at, kr, 0, cols);
                Float64Loops.softmaxBackwardRow(d, pr, kr, cols, scale);
                bulkPut(at, d, 0, cols);
            }
        }
    }
}
