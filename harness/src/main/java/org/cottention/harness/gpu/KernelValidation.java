package org.cottention.harness.gpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.cottention.cosine.cuda.CosineKernels;
import org.cottention.cuda.Device;
import org.cottention.cuda.ElementType;
import org.cottention.cuda.HostArrays;
import org.cottention.cuda.Precision;
import org.cottention.reference.Gradients;
import org.cottention.reference.RandomTensors;
import org.cottention.reference.ReferenceCosineAttention;
import org.cottention.reference.ReferenceRecurrentCosine;
import org.cottention.reference.ReferenceSoftmaxAttention;
import org.cottention.softmax.cuda.SoftmaxKernels;

/**
 * Every kernel on the GPU against the double-precision reference: outputs and all gradients, causal and
 * bidirectional, every precision, small shapes with odd sizes and masks, decoding, and the target shape
 * (causal cosine, s = 16384, d = 64) whose quadratic reference runs per head in background threads while the
 * timings use the GPU. Plain Java and JCuda (no ND4J).
 */
final class KernelValidation {
    /** One compared quantity. */
    record Row(String check, String impl, String precision, String mode, int n, int h, int s, int dk, int dv,
               String quantity, double error, double tolerance) {
        boolean pass() {
            return error < tolerance; // NaN fails
        }
    }

    private final Device cosineDevice, softmaxDevice;
    private final List<Row> rows = new ArrayList<>();
    private final List<Future<List<Row>>> pending = new ArrayList<>();

    KernelValidation(Device cosineDevice, Device softmaxDevice) {
        this.cosineDevice = cosineDevice;
        this.softmaxDevice = softmaxDevice;
    }

    List<Row> rows() {
        return rows;
    }

    static double tolerance(Precision p) {
        return switch (p) {
            case F32_SIMT -> 2e-5;
            case F32_TF32X3 -> 1e-4;
            case BF16_TF32 -> 2e-2;
        };
    }

    /** Shape and mask of a small case. */
    record Case(int n, int h, int s, int dk, int dv, String mask) {}

    static final List<Case> SMALL = List.of(
            new Case(2, 3, 150, 60, 60, "right"), new Case(1, 2, 1, 8, 8, "none"), new Case(3, 2, 50, 7, 5, "right"),
            new Case(2, 2, 23, 4, 6, "arbitrary"), new Case(1, 1, 70, 100, 128, "right"),
            new Case(1, 2, 600, 64, 64, "right"), new Case(1, 1, 400, 128, 128, "arbitrary"),
            new Case(1, 2, 300, 32, 32, "none"));

    private record Inputs(double[][][][] q, double[][][][] k, double[][][][] v, double[][][][] g, double[][] mask,
                          double[] m) {
        Inputs bf16() {
            return new Inputs(HostArrays.bf16(q), HostArrays.bf16(k), HostArrays.bf16(v), HostArrays.bf16(g), mask, m);
        }
    }

    private static Inputs inputs(Case c, long seed) {
        RandomTensors.AttentionCase x = RandomTensors.attentionCase(new Random(seed), c.n(), c.h(), c.s(), c.dk(), c.dv(),
                c.mask());
        return new Inputs(x.q(), x.k(), x.v(), x.g(), x.mask(), x.m());
    }

    /** Tiny shapes for a dry run on the CPU emulation. */
    static final List<Case> TINY = List.of(new Case(2, 3, 70, 60, 60, "right"), new Case(1, 2, 1, 8, 8, "none"),
            new Case(2, 2, 23, 4, 6, "arbitrary"));

    /**
     * Small shapes: every kernel, mode and precision; then decoding (a prompt, then one token at a time). A case that
     * throws (a launch failure, a kernel fault) is recorded as a failed row with the message, and the rest goes on.
     */
    void small(List<Case> cases, int decodeLength) {
        for (Case c : cases) {
            for (boolean causal : new boolean[] {true, false}) {
                Inputs f32 = inputs(c, 1000L * c.s() + c.dk() + (causal ? 1 : 0)), bf16 = f32.bf16();
                // The reference once per input rounding: float32 inputs serve both float32 precisions.
                Reference cos32 = Reference.cosine(causal, f32), cos16 = Reference.cosine(causal, bf16);
                Reference sm32 = Reference.softmax(causal, f32), sm16 = Reference.softmax(causal, bf16);
                for (Precision p : Precision.values()) {
                    boolean half = p.inputType() == ElementType.BF16;
                    Inputs x = half ? bf16 : f32;
                    guarded(causal ? "cuda-cosine-chunked" : "cuda-cosine-linear", p, causal, c,
                            () -> cosine("small", c, causal, p, x, half ? cos16 : cos32));
                    guarded("cuda-softmax-flash", p, causal, c,
                            () -> softmax("small", c, causal, p, x, SoftmaxKernels.Form.FLASH, half ? sm16 : sm32));
                    if (!half) {
                        guarded("cuda-softmax-naive", p, causal, c,
                                () -> softmax("small", c, causal, p, x, SoftmaxKernels.Form.NAIVE, sm32));
                    }
                }
            }
        }
        guarded("decoding", Precision.F32_SIMT, true, new Case(2, 4, decodeLength, 64, 64, "arbitrary"),
                () -> decode(decodeLength));
    }

    /** Runs one comparison; an exception becomes a failed row carrying its message. */
    private void guarded(String impl, Precision p, boolean causal, Case c, Runnable body) {
        try {
            body.run();
        } catch (RuntimeException e) {
            add("small", impl, p, causal, c, failure(e), Double.NaN, 0);
        }
    }

    /** A check that could not run at all, as a failed row. */
    void failed(String check, RuntimeException e) {
        rows.add(new Row(check, "-", "-", "-", 0, 0, 0, 0, 0, failure(e), Double.NaN, 0));
    }

    private static String failure(RuntimeException e) {
        return "FAILED: " + e.getClass().getSimpleName() + ": "
                + String.valueOf(e.getMessage()).replace(',', ';').replace('\n', ' ');
    }

    /** The reference's output and gradients for one input set. */
    private record Reference(double[][][][] output, Gradients gradients) {
        static Reference cosine(boolean causal, Inputs x) {
            return new Reference(ReferenceCosineAttention.forward(causal, x.q, x.k, x.v, x.mask, x.m),
                    ReferenceCosineAttention.backward(causal, x.q, x.k, x.v, x.mask, x.m, x.g));
        }

        static Reference softmax(boolean causal, Inputs x) {
            return new Reference(ReferenceSoftmaxAttention.forward(causal, x.q, x.k, x.v, x.mask),
                    ReferenceSoftmaxAttention.backward(causal, x.q, x.k, x.v, x.mask, x.g));
        }
    }

    private void cosine(String check, Case c, boolean causal, Precision p, Inputs x, Reference ref) {
        CosineKernels kernels = new CosineKernels(cosineDevice, p);
        CosineKernels.HostInput in = new CosineKernels.HostInput(
                new CosineKernels.Shape(c.n(), c.h(), c.s(), c.dk(), c.dv(), causal), HostArrays.flat(x.q),
                HostArrays.flat(x.k), HostArrays.flat(x.v), HostArrays.flat(x.mask), HostArrays.flat(x.m));
        float[] out = kernels.forward(in);
        CosineKernels.HostGradients gr = kernels.backward(in, HostArrays.flat(x.g));
        String impl = causal ? "cuda-cosine-chunked" : "cuda-cosine-linear";
        addCosine(check, impl, p, causal, c, ref.output(), ref.gradients(), out, gr);
    }

    private void addCosine(String check, String impl, Precision p, boolean causal, Case c, double[][][][] expected,
                           Gradients eg, float[] out, CosineKernels.HostGradients gr) {
        double tol = tolerance(p);
        add(check, impl, p, causal, c, "output", HostArrays.error(expected, out, c.dv()), tol);
        add(check, impl, p, causal, c, "dq", HostArrays.error(eg.dq(), gr.dq(), c.dk()), tol);
        add(check, impl, p, causal, c, "dk", HostArrays.error(eg.dk(), gr.dk(), c.dk()), tol);
        add(check, impl, p, causal, c, "dv", HostArrays.error(eg.dv(), gr.dv(), c.dv()), tol);
        add(check, impl, p, causal, c, "dm", RandomTensors.relativeError(gr.dm(), eg.dm()), tol);
    }

    private void softmax(String check, Case c, boolean causal, Precision p, Inputs x, SoftmaxKernels.Form form,
                         Reference ref) {
        SoftmaxKernels kernels = new SoftmaxKernels(softmaxDevice, p);
        SoftmaxKernels.HostInput in = new SoftmaxKernels.HostInput(
                SoftmaxKernels.Shape.self(c.n(), c.h(), c.s(), c.dk(), c.dv(), causal), HostArrays.flat(x.q),
                HostArrays.flat(x.k), HostArrays.flat(x.v), HostArrays.flat(x.mask));
        float[] out = kernels.forward(in, form);
        SoftmaxKernels.HostGradients gr = kernels.backward(in, HostArrays.flat(x.g), form);
        Gradients eg = ref.gradients();
        String impl = form == SoftmaxKernels.Form.FLASH ? "cuda-softmax-flash" : "cuda-softmax-naive";
        double tol = tolerance(p);
        add(check, impl, p, causal, c, "output", HostArrays.error(ref.output(), out, c.dv()), tol);
        add(check, impl, p, causal, c, "dq", HostArrays.error(eg.dq(), gr.dq(), c.dk()), tol);
        add(check, impl, p, causal, c, "dk", HostArrays.error(eg.dk(), gr.dk(), c.dk()), tol);
        add(check, impl, p, causal, c, "dv", HostArrays.error(eg.dv(), gr.dv(), c.dv()), tol);
    }

    /** Cosine decoding steps after a chunked prompt, and softmax queries at an offset, against the causal reference. */
    private void decode(int length) {
        Case c = new Case(2, 4, length, 64, 64, "arbitrary");
        Inputs x = inputs(c, 77);
        int prompt = length - 30;
        double[][][][] expected = ReferenceCosineAttention.forward(true, x.q, x.k, x.v, x.mask, x.m);
        CosineKernels kernels = new CosineKernels(cosineDevice, Precision.F32_SIMT);
        int b = c.n() * c.h();
        ReferenceRecurrentCosine check = new ReferenceRecurrentCosine(c.n(), c.h(), c.dk(), c.dv(), x.m);
        check.append(cut(x.q, 0, prompt), cut(x.k, 0, prompt), cut(x.v, 0, prompt), cutMask(x.mask, 0, prompt));
        CosineKernels.StatefulOutput first = kernels.forward(cosineInput(c, x, 0, prompt), null, null);
        double[][][][] refState = check.state();
        double num = 0, den = 0;
        for (int r = 0; r < b; r++) for (int a = 0; a < c.dv(); a++) for (int e = 0; e < c.dk(); e++) {
            double want = refState[r / c.h()][r % c.h()][a][e], got = first.finalState()[(r * c.dv() + a) * c.dk() + e];
            num += (got - want) * (got - want);
            den += want * want;
        }
        add("decode", "cuda-cosine-chunked", Precision.F32_SIMT, true, c, "final state", Math.sqrt(num / den), 2e-5);
        float[] counts = new float[c.n()];
        for (int n = 0; n < c.n(); n++) for (int t = 0; t < prompt; t++) counts[n] += (float) x.mask[n][t];
        float[] decoded = new float[b * (c.s() - prompt) * c.dv()];
        try (Device.Buffer state = cosineDevice.alloc(ElementType.F64, (long) b * c.dv() * c.dk());
             Device.Buffer mb = cosineDevice.upload(ElementType.F32, HostArrays.flat(x.m)); Device.Buffer qb = cosineDevice.alloc(ElementType.F32, (long) b * c.dk());
             Device.Buffer kb = cosineDevice.alloc(ElementType.F32, (long) b * c.dk()); Device.Buffer vb = cosineDevice.alloc(ElementType.F32, (long) b * c.dv());
             Device.Buffer pb = cosineDevice.alloc(ElementType.F32, c.n()); Device.Buffer cb = cosineDevice.alloc(ElementType.F32, c.n());
             Device.Buffer ob = cosineDevice.alloc(ElementType.F32, (long) b * c.dv())) {
            cosineDevice.upload(state, first.finalState());
            for (int t = prompt; t < c.s(); t++) {
                CosineKernels.HostInput one = cosineInput(c, x, t, 1);
                cosineDevice.upload(qb, one.q());
                cosineDevice.upload(kb, one.k());
                cosineDevice.upload(vb, one.v());
                cosineDevice.upload(pb, one.mask());
                for (int n = 0; n < c.n(); n++) counts[n] += one.mask()[n];
                cosineDevice.upload(cb, counts);
                kernels.decodeStep(c.n(), c.h(), c.dk(), c.dv(), qb, kb, vb, pb, cb, mb, state, ob);
                float[] o = new float[b * c.dv()];
                cosineDevice.download(ob, o);
                for (int r = 0; r < b; r++) System.arraycopy(o, r * c.dv(), decoded, (r * (c.s() - prompt) + t - prompt) * c.dv(), c.dv());
            }
        }
        add("decode", "cuda-cosine-decode-step", Precision.F32_SIMT, true, c, "output",
                HostArrays.error(cut(expected, prompt, c.s() - prompt), decoded, c.dv()), 2e-5);

        // Softmax: the last 3 queries at offset s - 3 against all keys.
        double[][][][] full = ReferenceSoftmaxAttention.forward(true, x.q, x.k, x.v, x.mask);
        for (Precision p : Precision.values()) {
            Inputs y = p.inputType() == ElementType.BF16 ? x.bf16() : x;
            double[][][][] want = cut(p.inputType() == ElementType.BF16
                    ? ReferenceSoftmaxAttention.forward(true, y.q, y.k, y.v, y.mask) : full, c.s() - 3, 3);
            SoftmaxKernels.HostInput in = new SoftmaxKernels.HostInput(
                    new SoftmaxKernels.Shape(c.n(), c.h(), 3, c.s(), c.dk(), c.dv(), true, c.s() - 3),
                    HostArrays.flat(cut(y.q, c.s() - 3, 3)), HostArrays.flat(y.k), HostArrays.flat(y.v), HostArrays.flat(y.mask));
            for (SoftmaxKernels.Form form : SoftmaxKernels.Form.values()) {
                if (form == SoftmaxKernels.Form.NAIVE && p == Precision.BF16_TF32) continue;
                float[] got = new SoftmaxKernels(softmaxDevice, p).forward(in, form);
                add("decode", form == SoftmaxKernels.Form.FLASH ? "cuda-softmax-flash" : "cuda-softmax-naive", p, true,
                        new Case(c.n(), c.h(), 3, c.dk(), c.dv(), c.mask()), "output at offset", HostArrays.error(want, got, c.dv()),
                        tolerance(p));
            }
        }
    }

    /**
     * The target shape: causal cosine, N = 1, H = heads, s, d = 64, right padding, f32-simt and f32-tf32x3 (and
     * flash softmax at a smaller length). The GPU results are computed now; the quadratic reference runs per head
     * on the pool, and {@link #collect} compares.
     */
    void startLong(ExecutorService pool, int s, int heads, int softmaxLength) {
        Precision[] f32 = {Precision.F32_SIMT, Precision.F32_TF32X3};
        Case c = new Case(1, heads, s, 64, 64, "right");
        Inputs x = inputs(c, 16384);
        List<float[]> outs = new ArrayList<>();
        List<CosineKernels.HostGradients> grads = new ArrayList<>();
        for (Precision p : f32) {
            CosineKernels kernels = new CosineKernels(cosineDevice, p);
            CosineKernels.HostInput in = cosineInput(c, x, 0, s);
            outs.add(kernels.forward(in));
            grads.add(kernels.backward(in, HostArrays.flat(x.g)));
        }
        Case cs = new Case(1, heads, softmaxLength, 64, 64, "right");
        Inputs y = inputs(cs, 4096);
        List<float[]> smOuts = new ArrayList<>();
        List<SoftmaxKernels.HostGradients> smGrads = new ArrayList<>();
        for (Precision p : f32) {
            SoftmaxKernels kernels = new SoftmaxKernels(softmaxDevice, p);
            SoftmaxKernels.HostInput in = new SoftmaxKernels.HostInput(
                    SoftmaxKernels.Shape.self(1, heads, softmaxLength, 64, 64, true), HostArrays.flat(y.q),
                    HostArrays.flat(y.k), HostArrays.flat(y.v), HostArrays.flat(y.mask));
            smOuts.add(kernels.forward(in, SoftmaxKernels.Form.FLASH));
            smGrads.add(kernels.backward(in, HostArrays.flat(y.g), SoftmaxKernels.Form.FLASH));
        }
        for (int h = 0; h < heads; h++) {
            final int head = h;
            pending.add(pool.submit(() -> { // one head's quadratic reference, compared with both precisions
                Inputs one = head(x, head);
                Case c1 = new Case(1, 1, s, 64, 64, "right");
                Gradients eg = ReferenceCosineAttention.backward(true, one.q, one.k, one.v, one.mask, one.m, one.g);
                double[][][][] expected = ReferenceCosineAttention.forward(true, one.q, one.k, one.v, one.mask, one.m);
                List<Row> r = new ArrayList<>();
                String chk = "long (head " + head + ")", impl = "cuda-cosine-chunked";
                for (int i = 0; i < f32.length; i++) {
                    Precision p = f32[i];
                    double tol = tolerance(p);
                    CosineKernels.HostGradients gr = grads.get(i);
                    r.add(row(chk, impl, p, true, c1, "output", HostArrays.error(expected, headOf(outs.get(i), c, head, 64), 64), tol));
                    r.add(row(chk, impl, p, true, c1, "dq", HostArrays.error(eg.dq(), headOf(gr.dq(), c, head, 64), 64), tol));
                    r.add(row(chk, impl, p, true, c1, "dk", HostArrays.error(eg.dk(), headOf(gr.dk(), c, head, 64), 64), tol));
                    r.add(row(chk, impl, p, true, c1, "dv", HostArrays.error(eg.dv(), headOf(gr.dv(), c, head, 64), 64), tol));
                    r.add(row(chk, impl, p, true, c1, "dm",
                            Math.abs(gr.dm()[head] - eg.dm()[0]) / Math.max(Math.abs(eg.dm()[0]), 1e-300), tol));
                }
                return r;
            }));
            pending.add(pool.submit(() -> {
                Inputs one = head(y, head);
                Case c1 = new Case(1, 1, softmaxLength, 64, 64, "right");
                Gradients eg = ReferenceSoftmaxAttention.backward(true, one.q, one.k, one.v, one.mask, one.g);
                double[][][][] expected = ReferenceSoftmaxAttention.forward(true, one.q, one.k, one.v, one.mask);
                List<Row> r = new ArrayList<>();
                String chk = "long (head " + head + ")", impl = "cuda-softmax-flash";
                for (int i = 0; i < f32.length; i++) {
                    Precision p = f32[i];
                    double tol = tolerance(p);
                    SoftmaxKernels.HostGradients gr = smGrads.get(i);
                    r.add(row(chk, impl, p, true, c1, "output", HostArrays.error(expected, headOf(smOuts.get(i), cs, head, 64), 64), tol));
                    r.add(row(chk, impl, p, true, c1, "dq", HostArrays.error(eg.dq(), headOf(gr.dq(), cs, head, 64), 64), tol));
                    r.add(row(chk, impl, p, true, c1, "dk", HostArrays.error(eg.dk(), headOf(gr.dk(), cs, head, 64), 64), tol));
                    r.add(row(chk, impl, p, true, c1, "dv", HostArrays.error(eg.dv(), headOf(gr.dv(), cs, head, 64), 64), tol));
                }
                return r;
            }));
        }
    }

    /** Waits up to the deadline for the background references; a reference not done in time is a failed row. */
    void collect(long deadlineNanos) {
        for (Future<List<Row>> f : pending) {
            try {
                long wait = Math.max(1, deadlineNanos - System.nanoTime());
                rows.addAll(f.get(wait, TimeUnit.NANOSECONDS));
            } catch (Exception e) {
                f.cancel(true);
                rows.add(new Row("long", "reference", "-", "causal", 0, 0, 0, 0, 0,
                        "not compared: " + e.getClass().getSimpleName(), Double.NaN, 0));
            }
        }
        pending.clear();
    }

    private void add(String check, String impl, Precision p, boolean causal, Case c, String quantity, double error,
                     double tol) {
        rows.add(row(check, impl, p, causal, c, quantity, error, tol));
    }

    private static Row row(String check, String impl, Precision p, boolean causal, Case c, String quantity, double error,
                           double tol) {
        return new Row(check, impl, p.label(), causal ? "causal" : "bidirectional", c.n(), c.h(), c.s(), c.dk(), c.dv(),
                quantity, error, tol);
    }

    private static CosineKernels.HostInput cosineInput(Case c, Inputs x, int from, int len) {
        return new CosineKernels.HostInput(new CosineKernels.Shape(c.n(), c.h(), len, c.dk(), c.dv(), true),
                HostArrays.flat(cut(x.q, from, len)), HostArrays.flat(cut(x.k, from, len)), HostArrays.flat(cut(x.v, from, len)),
                HostArrays.flat(cutMask(x.mask, from, len)), HostArrays.flat(x.m));
    }

    /** Head h of (1, H, s, d) inputs as (1, 1, s, d) with m = [m_h]. */
    private static Inputs head(Inputs x, int h) {
        return new Inputs(new double[][][][] {{x.q[0][h]}}, new double[][][][] {{x.k[0][h]}},
                new double[][][][] {{x.v[0][h]}}, new double[][][][] {{x.g[0][h]}}, x.mask, new double[] {x.m[h]});
    }

    /** Head h (batch 0) of a flat (1, H, s, d) result. */
    private static float[] headOf(float[] flat, Case c, int h, int d) {
        float[] out = new float[c.s() * d];
        System.arraycopy(flat, h * c.s() * d, out, 0, out.length);
        return out;
    }

    private static double[][][][] cut(double[][][][] x, int from, int len) {
        double[][][][] out = new double[x.length][x[0].length][len][];
        for (int b = 0; b < x.length; b++) for (int h = 0; h < x[0].length; h++)
            for (int t = 0; t < len; t++) out[b][h][t] = x[b][h][from + t].clone();
        return out;
    }

    private static double[][] cutMask(double[][] mask, int from, int len) {
        if (mask == null) return null;
        double[][] out = new double[mask.length][len];
        for (int b = 0; b < mask.length; b++) System.arraycopy(mask[b], from, out[b], 0, len);
        return out;
    }
}
