package org.cottention.cosine.cuda;

import org.cottention.cuda.CudaRuntime;
import org.cottention.cuda.Device;
import org.cottention.cuda.Device.Buffer;
import org.cottention.cuda.ElementType;
import org.cottention.cuda.KernelSet;
import org.cottention.cuda.Precision;

/**
 * Host side of the cosine-attention kernels in {@code src/main/cuda/cosine.cu}: picks a tile instance for a shape
 * and launches the kernels in order. Works on device buffers (for timing, with everything resident) and on host
 * float[] arrays (copy in, run, copy out). Plain Java and JCuda only, no ND4J: the GPU check runs it with a
 * class path of a few small jars.
 *
 * <p>Layouts (row-major): q, k, dL/dO (N*H, s, dk or dv) = the (N, H, s, d) arrays of the Attention interface;
 * mask (N, s) of 0/1 or null; m (H) raw stabiliser parameters; recurrent states (N*H, dv, dk) in float64.
 */
public final class CosineKernels extends KernelSet {
    /** The module: cosine.fatbin, a resource next to this class. */
    public static final String MODULE = "cosine";
    /** Padded head widths with kernel instances: dk and dv up to the last one. */
    static final int[] WIDTHS = {32, 64, 128};
    static final int DEFAULT_CHUNK = 64, SMALL_CHUNK = 32;

    public CosineKernels(Device device, Precision precision) {
        super(device, precision);
    }

    /** The kernels on the GPU; throws {@code CudaUnavailableException} without a device, driver or fatbin. */
    public static CosineKernels onGpu(Precision precision) {
        return new CosineKernels(loadModule(), precision);
    }

    /** cosine.fatbin on the GPU, its shared-memory sizes checked against the twins'. */
    public static Device loadModule() {
        return CudaRuntime.load(CosineKernels.class, MODULE, CosineKernelTwins::sharedBytes);
    }

    /** One call's dimensions: N, H, s, dk, dv and causal or bidirectional. */
    public record Shape(int batch, int heads, int length, int keyDim, int valueDim, boolean causal) {
        public Shape {
            if (batch < 1 || heads < 1 || length < 1 || keyDim < 1 || valueDim < 1) {
                throw new IllegalArgumentException("empty dimension in " + this);
            }
        }

        /** N * H: the batch rows of the flattened (B, s, d) layout. */
        public int rows() {
            return Math.multiplyExact(batch, heads);
        }
    }

    /** The tile instance chosen for a shape: padded width D, chunk C, chunk count and the kernel names. */
    public record Plan(Shape shape, int width, int chunk, int chunks, String states, String forward, String backward) {}

    /** Chooses D (the smallest instance width >= dk, dv) and C (64, or 32 when 64 does not fit in shared memory). */
    public Plan plan(Shape shape) {
        int need = Math.max(shape.keyDim(), shape.valueDim());
        int width = -1;
        for (int w : WIDTHS) {
            if (w >= need) {
                width = w;
                break;
            }
        }
        if (width < 0) {
            throw new IllegalArgumentException("the CUDA cosine kernels support dk, dv <= " + WIDTHS[WIDTHS.length - 1]
                    + ", got dk = " + shape.keyDim() + ", dv = " + shape.valueDim());
        }
        if (shape.rows() > 65535) {
            throw new IllegalArgumentException("the CUDA cosine kernels support N * H <= 65535, got " + shape.rows());
        }
        for (int chunk : width == 128 ? new int[] {DEFAULT_CHUNK, SMALL_CHUNK} : new int[] {DEFAULT_CHUNK}) {
            String suffix = precision.suffix() + "_d" + width + "_c" + chunk;
            Plan p = new Plan(shape, width, chunk, Device.ceilDiv(shape.length(), chunk), "cos_states_" + suffix,
                    "cos_fwd_" + suffix, "cos_bwd_" + suffix);
            if (p.chunks() > 65535) throw new IllegalArgumentException("sequence too long: " + shape.length());
            if (device.sharedBytes(p.backward()) <= device.maxSharedBytes()
                    && device.sharedBytes(p.forward()) <= device.maxSharedBytes()) {
                return p;
            }
        }
        throw new IllegalArgumentException("d = " + width + " does not fit in " + device.maxSharedBytes()
                + " bytes of shared memory per block on " + device.description());
    }

    /** Device memory a call needs besides its inputs and outputs; reused across calls of the same plan. */
    public final class Workspace implements AutoCloseable {
        final Plan plan;
        /** (N, s) counts of the divisor; (B, nc, dk, dv) prefix states P_c and suffix states dS_c; (B, nc) dm parts. */
        final Buffer counts, prefix, suffix, dmPartial;

        Workspace(Plan plan, boolean backward) {
            this.plan = plan;
            Shape s = plan.shape();
            long states = (long) s.rows() * plan.chunks() * s.keyDim() * s.valueDim();
            counts = device.alloc(ElementType.F32, (long) s.batch() * s.length());
            prefix = device.alloc(ElementType.F32, states);
            suffix = backward ? device.alloc(ElementType.F32, states) : null;
            dmPartial = backward ? device.alloc(ElementType.F32, (long) s.rows() * plan.chunks()) : null;
        }

        /** Bytes of device memory held. */
        public long bytes() {
            long b = 0;
            for (Buffer x : new Buffer[] {counts, prefix, suffix, dmPartial}) if (x != null) b += x.count() * x.type().bytes();
            return b;
        }

        @Override
        public void close() {
            for (Buffer x : new Buffer[] {counts, prefix, suffix, dmPartial}) if (x != null) x.close();
        }
    }

    public Workspace workspace(Plan plan, boolean backward) {
        return new Workspace(plan, backward);
    }

    /**
     * Forward: out (B, s, dv) float32. q, k, v in the precision's input type; mask (N, s) or null; m (H) float32.
     * initial (B, dv, dk) float64 or null: the state the sequence continues from (causal only); countOffset (N)
     * float32 or null: real tokens already seen per sequence; finalState (B, dv, dk) float64 or null: receives the
     * state after the last token (causal only). Leaves the prefix states in the workspace for {@link #backward}.
     */
    public void forward(Workspace w, Buffer q, Buffer k, Buffer v, Buffer mask, Buffer m, Buffer out, Buffer initial,
                        Buffer countOffset, Buffer finalState) {
        Plan p = w.plan;
        Shape s = p.shape();
        if (!s.causal() && (initial != null || finalState != null)) {
            throw new IllegalArgumentException("initial and final states exist for causal attention only");
        }
        prefixStates(w, k, v, mask, m, initial, countOffset, finalState);
        device.launch(p.forward(), s.rows(), p.chunks(), device.sharedBytes(p.forward()), q, k, v, mask, w.counts, m,
                w.prefix, out, s.heads(), s.length(), s.keyDim(), s.valueDim(), s.causal() ? 1 : 0);
    }

    /** Counts, per-chunk states Kh^T Vh and their exclusive prefix (causal) or total (bidirectional). */
    private void prefixStates(Workspace w, Buffer k, Buffer v, Buffer mask, Buffer m, Buffer initial, Buffer countOffset,
                              Buffer finalState) {
        Plan p = w.plan;
        Shape s = p.shape();
        device.launch("cos_counts", s.batch(), 1, 0, mask, countOffset, w.counts, s.length(), s.causal() ? 1 : 0);
        device.launch(p.states(), s.rows(), p.chunks(), device.sharedBytes(p.states()), k, v, 1, mask, w.counts, m,
                w.prefix, s.heads(), s.length(), s.keyDim(), s.valueDim());
        device.launch("cos_scan", Device.ceilDiv(s.keyDim() * s.valueDim(), Device.THREADS), s.rows(), 0, w.prefix,
                initial, finalState, p.chunks(), s.keyDim(), s.valueDim(), s.causal() ? 0 : 2);
    }

    /**
     * Backward: dq, dk (B, s, dk) and dv (B, s, dv) float32, and the per-chunk parts of dm in the workspace (see
     * {@link #dm}). g = dL/dO in the input type. With {@code prefixReady} the prefix states and counts of the
     * forward call on the same workspace are reused (no initial state); otherwise they are recomputed.
     */
    public void backward(Workspace w, Buffer q, Buffer k, Buffer v, Buffer g, Buffer mask, Buffer m, Buffer dq,
                         Buffer dk, Buffer dv, boolean prefixReady) {
        Plan p = w.plan;
        Shape s = p.shape();
        if (w.suffix == null) throw new IllegalArgumentException("workspace made without backward buffers");
        if (!prefixReady) prefixStates(w, k, v, mask, m, null, null, null);
        device.launch(p.states(), s.rows(), p.chunks(), device.sharedBytes(p.states()), q, g, 0, mask, w.counts, m,
                w.suffix, s.heads(), s.length(), s.keyDim(), s.valueDim());
        device.launch("cos_scan", Device.ceilDiv(s.keyDim() * s.valueDim(), Device.THREADS), s.rows(), 0, w.suffix, null,
                null, p.chunks(), s.keyDim(), s.valueDim(), s.causal() ? 1 : 2);
        device.launch(p.backward(), s.rows(), p.chunks(), device.sharedBytes(p.backward()), q, k, v, g, mask, w.counts,
                m, w.prefix, w.suffix, dq, dk, dv, w.dmPartial, s.heads(), s.length(), s.keyDim(), s.valueDim(),
                s.causal() ? 1 : 0);
    }

    /** dL/dm (H) after {@link #backward}: the per-(row, chunk) parts summed per head in double. */
    public double[] dm(Workspace w) {
        Shape s = w.plan.shape();
        float[] parts = new float[Math.toIntExact(w.dmPartial.count())];
        device.download(w.dmPartial, parts);
        double[] dm = new double[s.heads()];
        int nc = w.plan.chunks();
        for (int b = 0; b < s.rows(); b++) for (int c = 0; c < nc; c++) dm[b % s.heads()] += parts[b * nc + c];
        return dm;
    }

    /**
     * One decoding step for every batch row: state (B, dv, dk) float64 += vh kh^T, out (B, dv) = state qh.
     * q, k (B, dk), v (B, dv) float32; mask (N) for this token or null; counts (N) = real tokens up to and including
     * this one; m (H).
     */
    public void decodeStep(int batch, int heads, int keyDim, int valueDim, Buffer q, Buffer k, Buffer v, Buffer mask,
                           Buffer counts, Buffer m, Buffer state, Buffer out) {
        device.launch("cos_decode_step", Device.ceilDiv(valueDim, Device.THREADS / 32), batch * heads, 2 * keyDim * 4, q,
                k, v, mask, counts, m, state, out, heads, keyDim, valueDim);
    }

    // ---- host arrays: copy in, run, copy out ----

    /**
     * One call's inputs as host arrays: q, k (N*H*s*dk), v (N*H*s*dv) row-major, mask (N*s) of 0/1 or null, m (H).
     * With {@link Precision#BF16_TF32} q, k, v (and dL/dO) are rounded to bfloat16 on upload.
     */
    public record HostInput(Shape shape, float[] q, float[] k, float[] v, float[] mask, float[] m) {
        public HostInput {
            long qk = (long) shape.rows() * shape.length() * shape.keyDim();
            long vv = (long) shape.rows() * shape.length() * shape.valueDim();
            if (q.length != qk || k.length != qk || v.length != vv || m.length != shape.heads()
                    || mask != null && mask.length != (long) shape.batch() * shape.length()) {
                throw new IllegalArgumentException("host arrays do not match " + shape);
            }
        }
    }

    /** Output of a forward call with a state: out (B*s*dv) and the final state (B*dv*dk) float64. */
    public record StatefulOutput(float[] out, double[] finalState) {}

    /** Gradients: dq, dk (B*s*dk), dv (B*s*dv), dm (H). */
    public record HostGradients(float[] dq, float[] dk, float[] dv, double[] dm) {}

    private final class Inputs implements AutoCloseable {
        final Buffer q, k, v, mask, m;

        Inputs(HostInput in) {
            ElementType t = precision.inputType();
            q = device.upload(t, in.q());
            k = device.upload(t, in.k());
            v = device.upload(t, in.v());
            mask = in.mask() == null ? null : device.upload(ElementType.F32, in.mask());
            m = device.upload(ElementType.F32, in.m());
        }

        @Override
        public void close() {
            for (Buffer b : new Buffer[] {q, k, v, mask, m}) if (b != null) b.close();
        }
    }

    /** Forward on host arrays: out (B*s*dv). */
    public float[] forward(HostInput in) {
        return forward(in, null, null).out();
    }

    /**
     * Forward continuing from a state (causal only): initial (B*dv*dk) and countOffset (N) or both null. Returns
     * the output and, when causal, the final state.
     */
    public StatefulOutput forward(HostInput in, double[] initial, float[] countOffset) {
        Shape s = in.shape();
        Plan p = plan(s);
        long stateLen = (long) s.rows() * s.valueDim() * s.keyDim();
        try (Workspace w = workspace(p, false); Inputs x = new Inputs(in);
             Buffer out = device.alloc(ElementType.F32, (long) s.rows() * s.length() * s.valueDim());
             Buffer init = initial == null ? null : device.alloc(ElementType.F64, stateLen);
             Buffer offset = countOffset == null ? null : device.upload(ElementType.F32, countOffset);
             Buffer fin = s.causal() ? device.alloc(ElementType.F64, stateLen) : null) {
            if (init != null) device.upload(init, initial);
            forward(w, x.q, x.k, x.v, x.mask, x.m, out, init, offset, fin);
            device.synchronize();
            double[] finalState = null;
            if (fin != null) {
                finalState = new double[Math.toIntExact(stateLen)];
                device.download(fin, finalState);
            }
            return new StatefulOutput(device.download(out), finalState);
        }
    }

    /** Backward on host arrays, g = dL/dO (B*s*dv); recomputes the forward's prefix states. */
    public HostGradients backward(HostInput in, float[] g) {
        Shape s = in.shape();
        Plan p = plan(s);
        long qk = (long) s.rows() * s.length() * s.keyDim(), vv = (long) s.rows() * s.length() * s.valueDim();
        if (g.length != vv) throw new IllegalArgumentException("dL/dO must have " + vv + " elements, got " + g.length);
        try (Workspace w = workspace(p, true); Inputs x = new Inputs(in);
             Buffer gb = device.upload(precision.inputType(), g);
             Buffer dq = device.alloc(ElementType.F32, qk); Buffer dk = device.alloc(ElementType.F32, qk);
             Buffer dv = device.alloc(ElementType.F32, vv)) {
            backward(w, x.q, x.k, x.v, gb, x.mask, x.m, dq, dk, dv, false);
            device.synchronize();
            return new HostGradients(device.download(dq), device.download(dk), device.download(dv), dm(w));
        }
    }
}
