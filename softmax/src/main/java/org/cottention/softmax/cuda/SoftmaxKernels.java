package org.cottention.softmax.cuda;

import org.cottention.cuda.CudaRuntime;
import org.cottention.cuda.Device;
import org.cottention.cuda.Device.Buffer;
import org.cottention.cuda.ElementType;
import org.cottention.cuda.KernelSet;
import org.cottention.cuda.Precision;

/**
 * Host side of the softmax-attention kernels in {@code src/main/cuda/softmax.cu}, in two forms: {@link Form#NAIVE}
 * materialises the (B, L, S) probabilities (the paper's baseline, float32 only) and {@link Form#FLASH} tiles the
 * keys with an online softmax (FlashAttention-2 style, no (L, S) buffer). Plain Java and JCuda, no ND4J.
 *
 * <p>Layouts (row-major, B = N*H): q (B, L, dk), k (B, S, dk), v (B, S, dv), out and dL/dO (B, L, dv), mask (N, S)
 * of 0/1 or null. Queries sit at positions offset .. offset + L - 1 and keys at 0 .. S - 1 (self-attention:
 * L = S, offset 0; a decoding step: L = 1, offset = S - 1).
 */
public final class SoftmaxKernels extends KernelSet {
    /** The module: softmax.fatbin, a resource next to this class. */
    public static final String MODULE = "softmax";
    static final int[] WIDTHS = {32, 64, 128};

    /** How the attention is evaluated. */
    public enum Form {
        /** Scores, row softmax and products as separate kernels over a materialised (B, L, S) matrix. */
        NAIVE,
        /** One query tile on chip, keys streamed with an online softmax; the backward recomputes P tile by tile. */
        FLASH
    }

    public SoftmaxKernels(Device device, Precision precision) {
        super(device, precision);
    }

    /** The kernels on the GPU; throws {@code CudaUnavailableException} without a device, driver or fatbin. */
    public static SoftmaxKernels onGpu(Precision precision) {
        return new SoftmaxKernels(loadModule(), precision);
    }

    /** softmax.fatbin on the GPU, its shared-memory sizes checked against the twins'. */
    public static Device loadModule() {
        return CudaRuntime.load(SoftmaxKernels.class, MODULE, SoftmaxKernelTwins::sharedBytes);
    }

    /** One call's dimensions. */
    public record Shape(int batch, int heads, int queries, int keys, int keyDim, int valueDim, boolean causal,
                        int offset) {
        public Shape {
            if (batch < 1 || heads < 1 || queries < 1 || keys < 1 || keyDim < 1 || valueDim < 1 || offset < 0) {
                throw new IllegalArgumentException("bad shape " + this);
            }
        }

        /** Self-attention over s tokens. */
        public static Shape self(int batch, int heads, int s, int keyDim, int valueDim, boolean causal) {
            return new Shape(batch, heads, s, s, keyDim, valueDim, causal, 0);
        }

        public int rows() {
            return Math.multiplyExact(batch, heads);
        }

        float scale() {
            return (float) (1.0 / Math.sqrt(keyDim));
        }
    }

    /** The chosen instance: flash width D and tile BT, or the naive products' kernel suffix. */
    public record Plan(Shape shape, Form form, int width, int tile, String suffix) {}

    public Plan plan(Shape shape, Form form) {
        if (shape.rows() > 65535) {
            throw new IllegalArgumentException("the CUDA softmax kernels support N * H <= 65535, got " + shape.rows());
        }
        if (form == Form.NAIVE) {
            if (precision.inputType() != ElementType.F32) {
                throw new IllegalArgumentException("the naive softmax kernels are float32 only; use the flash form for "
                        + precision.label());
            }
            String mma = precision == Precision.F32_SIMT ? "simt" : "tf32x3";
            return new Plan(shape, form, 0, 64, mma);
        }
        int need = Math.max(shape.keyDim(), shape.valueDim());
        for (int w : WIDTHS) {
            if (w >= need) {
                Plan p = new Plan(shape, form, w, w == 128 ? 32 : 64, precision.suffix() + "_d" + w);
                for (String k : new String[] {"sm_flash_fwd_", "sm_flash_bwd_kv_", "sm_flash_bwd_q_"}) {
                    if (device.sharedBytes(k + p.suffix()) > device.maxSharedBytes()) {
                        throw new IllegalArgumentException(k + p.suffix() + " needs more shared memory than "
                                + device.description() + " allows");
                    }
                }
                return p;
            }
        }
        throw new IllegalArgumentException("the CUDA softmax kernels support dk, dv <= 128, got dk = " + shape.keyDim()
                + ", dv = " + shape.valueDim());
    }

    /**
     * Device memory besides inputs and outputs: naive: the probabilities P (B, L, S) and, for backward, dP;
     * flash: the log-sum-exp and delta per query row (B, L).
     */
    public final class Workspace implements AutoCloseable {
        final Plan plan;
        final Buffer probabilities, dProbabilities, lse, delta;

        Workspace(Plan plan, boolean backward) {
            this.plan = plan;
            Shape s = plan.shape();
            long rows = (long) s.rows() * s.queries();
            if (plan.form() == Form.NAIVE) {
                probabilities = device.alloc(ElementType.F32, rows * s.keys());
                dProbabilities = backward ? device.alloc(ElementType.F32, rows * s.keys()) : null;
                lse = null;
                delta = null;
            } else {
                probabilities = null;
                dProbabilities = null;
                lse = device.alloc(ElementType.F32, rows);
                delta = backward ? device.alloc(ElementType.F32, rows) : null;
            }
        }

        public long bytes() {
            long b = 0;
            for (Buffer x : new Buffer[] {probabilities, dProbabilities, lse, delta}) if (x != null) b += x.count() * 4;
            return b;
        }

        @Override
        public void close() {
            for (Buffer x : new Buffer[] {probabilities, dProbabilities, lse, delta}) if (x != null) x.close();
        }
    }

    public Workspace workspace(Plan plan, boolean backward) {
        return new Workspace(plan, backward);
    }

    /** Forward: out (B, L, dv) float32; leaves P (naive) or the log-sum-exp (flash) in the workspace for backward. */
    public void forward(Workspace w, Buffer q, Buffer k, Buffer v, Buffer mask, Buffer out) {
        Plan p = w.plan;
        Shape s = p.shape();
        int causal = s.causal() ? 1 : 0;
        if (p.form() == Form.FLASH) {
            String name = "sm_flash_fwd_" + p.suffix();
            device.launch(name, s.rows(), Device.ceilDiv(s.queries(), p.tile()), device.sharedBytes(name), q, k, v, mask,
                    out, w.lse, s.heads(), s.queries(), s.keys(), s.keyDim(), s.valueDim(), causal, s.offset(), s.scale());
            return;
        }
        long lk = (long) s.queries() * s.keys();
        gemm(p, "nt", q, k, w.probabilities, s.queries(), s.keys(), s.keyDim(), s.keyDim(), s.keyDim(), s.keys(),
                (long) s.queries() * s.keyDim(), (long) s.keys() * s.keyDim(), lk);
        device.launch("sm_softmax_rows", s.rows() * s.queries(), 1, 0, w.probabilities, mask, s.heads(), s.queries(),
                s.keys(), causal, s.offset(), s.scale());
        gemm(p, "nn", w.probabilities, v, out, s.queries(), s.valueDim(), s.keys(), s.keys(), s.valueDim(), s.valueDim(),
                lk, (long) s.keys() * s.valueDim(), (long) s.queries() * s.valueDim());
    }

    /**
     * Backward after {@link #forward} on the same workspace: dq (B, L, dk), dk (B, S, dk), dv (B, S, dv) float32.
     * out is the forward's output (flash computes delta_i = dO_i . O_i from it).
     */
    public void backward(Workspace w, Buffer q, Buffer k, Buffer v, Buffer g, Buffer mask, Buffer out, Buffer dq,
                         Buffer dk, Buffer dv) {
        Plan p = w.plan;
        Shape s = p.shape();
        int causal = s.causal() ? 1 : 0;
        if (p.form() == Form.FLASH) {
            if (w.delta == null) throw new IllegalArgumentException("workspace made without backward buffers");
            int rows = s.rows() * s.queries();
            device.launch("sm_flash_bwd_pre_" + precision.inputType().name().toLowerCase(java.util.Locale.ROOT),
                    Device.ceilDiv(rows, Device.THREADS / 32), 1, 0, out, g, w.delta, rows, s.valueDim());
            String kv = "sm_flash_bwd_kv_" + p.suffix(), qn = "sm_flash_bwd_q_" + p.suffix();
            device.launch(kv, s.rows(), Device.ceilDiv(s.keys(), p.tile()), device.sharedBytes(kv), q, k, v, g, mask,
                    w.lse, w.delta, dk, dv, s.heads(), s.queries(), s.keys(), s.keyDim(), s.valueDim(), causal,
                    s.offset(), s.scale());
            device.launch(qn, s.rows(), Device.ceilDiv(s.queries(), p.tile()), device.sharedBytes(qn), q, k, v, g, mask,
                    w.lse, w.delta, dq, s.heads(), s.queries(), s.keys(), s.keyDim(), s.valueDim(), causal, s.offset(),
                    s.scale());
            return;
        }
        if (w.dProbabilities == null) throw new IllegalArgumentException("workspace made without backward buffers");
        long lk = (long) s.queries() * s.keys();
        long ldv = (long) s.queries() * s.valueDim(), sdv = (long) s.keys() * s.valueDim();
        long ldk = (long) s.queries() * s.keyDim(), sdk = (long) s.keys() * s.keyDim();
        gemm(p, "nt", g, v, w.dProbabilities, s.queries(), s.keys(), s.valueDim(), s.valueDim(), s.valueDim(), s.keys(),
                ldv, sdv, lk);                                                                   // dP = dO v^T
        device.launch("sm_softmax_bwd_rows", s.rows() * s.queries(), 1, 0, w.probabilities, w.dProbabilities, s.keys(),
                s.scale());                                                                      // dS
        gemm(p, "nn", w.dProbabilities, k, dq, s.queries(), s.keyDim(), s.keys(), s.keys(), s.keyDim(), s.keyDim(), lk,
                sdk, ldk);                                                                       // dq = dS k
        gemm(p, "tn", w.dProbabilities, q, dk, s.keys(), s.keyDim(), s.queries(), s.keys(), s.keyDim(), s.keyDim(), lk,
                ldk, sdk);                                                                       // dk = dS^T q
        gemm(p, "tn", w.probabilities, g, dv, s.keys(), s.valueDim(), s.queries(), s.keys(), s.valueDim(), s.valueDim(),
                lk, ldv, sdv);                                                                   // dv = P^T dO
    }

    /** sm_gemm_<trans>_<mma>: C = op(A) op(B) per batch row; grid (B * ceil(N / 64), ceil(M / 64)). */
    private void gemm(Plan p, String trans, Buffer a, Buffer b, Buffer c, int m, int n, int k, int lda, int ldb, int ldc,
                      long sa, long sb, long sc) {
        Shape s = p.shape();
        device.launch("sm_gemm_" + trans + "_" + p.suffix(), Math.multiplyExact(s.rows(), Device.ceilDiv(n, 64)),
                Device.ceilDiv(m, 64), 0, a, b, c, m, n, k, lda, ldb, ldc, sa, sb, sc);
    }

    // ---- host arrays ----

    /** Inputs as host arrays: q (B*L*dk), k (B*S*dk), v (B*S*dv), mask (N*S) of 0/1 or null. */
    public record HostInput(Shape shape, float[] q, float[] k, float[] v, float[] mask) {
        public HostInput {
            if (q.length != (long) shape.rows() * shape.queries() * shape.keyDim()
                    || k.length != (long) shape.rows() * shape.keys() * shape.keyDim()
                    || v.length != (long) shape.rows() * shape.keys() * shape.valueDim()
                    || mask != null && mask.length != (long) shape.batch() * shape.keys()) {
                throw new IllegalArgumentException("host arrays do not match " + shape);
            }
        }
    }

    /** Gradients as host arrays: dq (B*L*dk), dk (B*S*dk), dv (B*S*dv). */
    public record HostGradients(float[] dq, float[] dk, float[] dv) {}

    /** Forward on host arrays: out (B*L*dv). */
    public float[] forward(HostInput in, Form form) {
        Shape s = in.shape();
        ElementType t = precision.inputType();
        try (Workspace w = workspace(plan(s, form), false); Buffer q = device.upload(t, in.q()); Buffer k = device.upload(t, in.k());
             Buffer v = device.upload(t, in.v()); Buffer mask = in.mask() == null ? null : device.upload(ElementType.F32, in.mask());
             Buffer out = device.alloc(ElementType.F32, (long) s.rows() * s.queries() * s.valueDim())) {
            forward(w, q, k, v, mask, out);
            device.synchronize();
            return device.download(out);
        }
    }

    /** Forward then backward on host arrays, g = dL/dO (B*L*dv). */
    public HostGradients backward(HostInput in, float[] g, Form form) {
        Shape s = in.shape();
        ElementType t = precision.inputType();
        try (Workspace w = workspace(plan(s, form), true); Buffer q = device.upload(t, in.q()); Buffer k = device.upload(t, in.k());
             Buffer v = device.upload(t, in.v()); Buffer mask = in.mask() == null ? null : device.upload(ElementType.F32, in.mask());
             Buffer gb = device.upload(t, g);
             Buffer out = device.alloc(ElementType.F32, (long) s.rows() * s.queries() * s.valueDim());
             Buffer dq = device.alloc(ElementType.F32, in.q().length); Buffer dk = device.alloc(ElementType.F32, in.k().length);
             Buffer dv = device.alloc(ElementType.F32, in.v().length)) {
            forward(w, q, k, v, mask, out);
            backward(w, q, k, v, gb, mask, out, dq, dk, dv);
            device.synchronize();
            return new HostGradients(device.download(dq), device.download(dk), device.download(dv));
        }
    }
}
