package org.cottention.harness.gpu;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.cottention.cosine.cuda.CosineKernels;
import org.cottention.cuda.Device;
import org.cottention.cuda.Device.Buffer;
import org.cottention.cuda.ElementType;
import org.cottention.cuda.Precision;
import org.cottention.softmax.cuda.SoftmaxKernels;

/**
 * Times every kernel family on device-resident buffers with CUDA events: forward, forward + backward and one
 * decoding step, over sequence lengths, for N = 1 and H heads of width d (no padding mask, as PyTorch's SDPA is
 * timed). Each configuration: one or two warm-up calls, then calls until 10, or 1 s and 3 calls, or 3 s; the
 * median is reported. A global deadline skips what would not fit (recorded as skipped, never silently).
 */
final class KernelTimings {
    /** One timed configuration; bytes = the compulsory DRAM traffic (inputs read once, outputs written once). */
    record Result(String impl, String precision, String mode, String pass, int n, int h, int s, int dk, int dv,
                  int runs, double medianMs, double minMs, double bytes, double flops, String flopModel, String note) {}

    private final Device cosineDevice, softmaxDevice;
    private final int heads, width;
    private final long deadline;
    private final List<Result> results = new ArrayList<>();
    private final Consumer<String> log;

    KernelTimings(Device cosineDevice, Device softmaxDevice, int heads, int width, long deadlineNanos, Consumer<String> log) {
        this.cosineDevice = cosineDevice;
        this.softmaxDevice = softmaxDevice;
        this.heads = heads;
        this.width = width;
        this.deadline = deadlineNanos;
        this.log = log;
    }

    List<Result> results() {
        return results;
    }

    /** Median and min of repeated calls, or null when the deadline does not leave room. */
    private double[] measure(Device device, Runnable op) {
        if (System.nanoTime() > deadline) return null;
        double first = device.timeMillis(op);
        if (first < 50) device.timeMillis(op);
        double remainingMs = (deadline - System.nanoTime()) / 1e6;
        if (remainingMs < 2 * first + 200) return null;
        List<Double> times = new ArrayList<>();
        double sum = 0;
        while (times.size() < 10 && !(sum >= 1000 && times.size() >= 3) && sum < 3000
                && (deadline - System.nanoTime()) / 1e6 > 2 * first) {
            double t = device.timeMillis(op);
            times.add(t);
            sum += t;
        }
        if (times.isEmpty()) return null;
        double[] sorted = times.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
        return new double[] {median, sorted[0], sorted.length};
    }

    private void record(String impl, Precision p, String mode, String pass, int s, double[] m, double bytes,
                        double flops, String flopModel, String note) {
        Result r = m == null
                ? new Result(impl, p.label(), mode, pass, 1, heads, s, width, width, 0, Double.NaN, Double.NaN, bytes, flops,
                flopModel, note.isEmpty() ? "skipped: time budget" : note)
                : new Result(impl, p.label(), mode, pass, 1, heads, s, width, width, (int) m[2], m[0], m[1], bytes, flops,
                flopModel, note);
        results.add(r);
        log.accept(String.format("  %-24s %-10s %-13s %-8s s=%-6d %s", impl, p.label(), mode, pass, s,
                m == null ? r.note() : String.format("%.3f ms (%d runs)", m[0], (int) m[2])));
    }

    /** Device buffers of one length: q, k, v, g in the input type, outputs in float32. */
    private static final class Tensors implements AutoCloseable {
        final Buffer q, k, v, g, out, dq, dk, dv, m, q1, k1, v1, out1;

        Tensors(Device d, ElementType type, int rows, int s, int width, int heads) {
            long n = (long) rows * s * width;
            q = random(d, type, n, 1);
            k = random(d, type, n, 2);
            v = random(d, type, n, 3);
            g = random(d, type, n, 4);
            out = d.alloc(ElementType.F32, n);
            dq = d.alloc(ElementType.F32, n);
            dk = d.alloc(ElementType.F32, n);
            dv = d.alloc(ElementType.F32, n);
            m = random(d, ElementType.F32, heads, 5);
            q1 = random(d, type, (long) rows * width, 6);
            k1 = random(d, ElementType.F32, (long) rows * width, 7);
            v1 = random(d, ElementType.F32, (long) rows * width, 8);
            out1 = d.alloc(ElementType.F32, (long) rows * width);
        }

        /** Pseudo-random values in [-1, 1) (a cheap hash: uploading 64k x 16 x 64 values must not take long). */
        static Buffer random(Device d, ElementType type, long n, int seed) {
            float[] x = new float[Math.toIntExact(n)];
            long state = 0x9E3779B97F4A7C15L * seed;
            for (int i = 0; i < x.length; i++) {
                state = state * 6364136223846793005L + 1442695040888963407L;
                x[i] = (int) (state >>> 40) / (float) (1 << 23) - 1f;
            }
            Buffer b = d.alloc(type, n);
            d.upload(b, x);
            return b;
        }

        @Override
        public void close() {
            for (Buffer b : new Buffer[] {q, k, v, g, out, dq, dk, dv, m, q1, k1, v1, out1}) b.close();
        }
    }

    /** Times every length in turn, calling afterEachLength (to write what is there so far) after each. */
    void run(int[] lengths, Runnable afterEachLength) {
        int rows = heads, d = width;
        for (int s : lengths) {
            runLength(s, rows, d);
            afterEachLength.run();
        }
    }

    private void runLength(int s, int rows, int d) {
        log.accept("s = " + s + ":");
        for (Precision p : Precision.values()) {
            if (System.nanoTime() > deadline) {
                skipAll(s, p);
                continue;
            }
            try (Tensors t = new Tensors(cosineDevice, p.inputType(), rows, s, d, heads)) {
                guarded(p, s, () -> cosine(p, s, t, true));
                guarded(p, s, () -> cosine(p, s, t, false));
                guarded(p, s, () -> cosineDecode(p, s, t));
                guarded(p, s, () -> softmaxFlash(p, s, t));
                if (p != Precision.BF16_TF32) guarded(p, s, () -> softmaxNaive(p, s, t));
            } catch (RuntimeException e) {
                failed(p, s, e);
            }
        }
    }

    /** Runs one family's timings; a failure (out of memory, a kernel fault) is recorded and the rest goes on. */
    private void guarded(Precision p, int s, Runnable body) {
        try {
            body.run();
        } catch (RuntimeException e) {
            failed(p, s, e);
        }
    }

    private void failed(Precision p, int s, RuntimeException e) {
        String msg = String.valueOf(e.getMessage()).replace(',', ';').replace('\n', ' ');
        record("(failed)", p, "-", "-", s, null, Double.NaN, Double.NaN, "", "failed: " + e.getClass().getSimpleName() + ": " + msg);
    }

    private void skipAll(int s, Precision p) {
        for (String impl : new String[] {"cuda-cosine-chunked", "cuda-softmax-flash"}) {
            record(impl, p, "causal", "fwd", s, null, Double.NaN, Double.NaN, "", "");
            record(impl, p, "causal", "fwd+bwd", s, null, Double.NaN, Double.NaN, "", "");
        }
    }

    private double ioBytes(Precision p, int s, boolean backward) {
        double rowsTokens = (double) heads * s, e = p.inputType().bytes();
        double fwd = rowsTokens * width * (3 * e + 4);             // read q, k, v; write o
        double bwd = rowsTokens * width * (4 * e + 3 * 4);         // read q, k, v, dO; write dq, dk, dv
        return backward ? fwd + bwd : fwd;
    }

    private void cosine(Precision p, int s, Tensors t, boolean causal) {
        CosineKernels kernels = new CosineKernels(cosineDevice, p);
        CosineKernels.Plan plan = kernels.plan(new CosineKernels.Shape(1, heads, s, width, width, causal));
        String impl = causal ? "cuda-cosine-chunked" : "cuda-cosine-linear", mode = causal ? "causal" : "bidirectional";
        double c = plan.chunk(), d = width, blocks = (double) heads * plan.chunks();
        double state = 2 * c * d * d, square = 2 * c * c * d;
        double fwdFlops = blocks * (causal ? 2 * state + 2 * square : 2 * state);
        double bwdFlops = blocks * (causal ? 4 * state + 5 * square : 4 * state);
        String note = "D=" + plan.width() + " C=" + plan.chunk();
        try (CosineKernels.Workspace w = kernels.workspace(plan, true)) {
            double[] f = measure(cosineDevice, () -> kernels.forward(w, t.q, t.k, t.v, null, t.m, t.out, null, null, null));
            record(impl, p, mode, "fwd", s, f, ioBytes(p, s, false), fwdFlops, "executed", note);
            double[] fb = measure(cosineDevice, () -> {
                kernels.forward(w, t.q, t.k, t.v, null, t.m, t.out, null, null, null);
                kernels.backward(w, t.q, t.k, t.v, t.g, null, t.m, t.dq, t.dk, t.dv, true);
            });
            record(impl, p, mode, "fwd+bwd", s, fb, ioBytes(p, s, true), fwdFlops + bwdFlops, "executed", note);
        }
    }

    /** One token for every (sequence, head) against a float64 state; its cost does not depend on s. */
    private void cosineDecode(Precision p, int s, Tensors t) {
        if (p != Precision.F32_SIMT) return; // one kernel, float32 inputs whatever the precision
        CosineKernels kernels = new CosineKernels(cosineDevice, p);
        double d = width;
        try (Buffer state = cosineDevice.alloc(ElementType.F64, (long) heads * width * width);
             Buffer counts = cosineDevice.alloc(ElementType.F32, 1)) {
            cosineDevice.zero(state);
            cosineDevice.upload(counts, new float[] {s});
            double[] m = measure(cosineDevice, () -> kernels.decodeStep(1, heads, width, width, t.q1, t.k1, t.v1, null,
                    counts, t.m, state, t.out1));
            double bytes = heads * (3 * d * 4 + d * 4 + 2 * d * d * 8);
            record("cuda-cosine-decode-step", p, "causal", "decode", s, m, bytes, heads * 4 * d * d, "executed",
                    "state float64; cost independent of s");
        }
    }

    private void softmaxFlash(Precision p, int s, Tensors t) {
        SoftmaxKernels kernels = new SoftmaxKernels(softmaxDevice, p);
        SoftmaxKernels.Plan plan = kernels.plan(SoftmaxKernels.Shape.self(1, heads, s, width, width, true), SoftmaxKernels.Form.FLASH);
        double fwdFlops = 4.0 * heads * s * (double) s * width / 2;
        try (SoftmaxKernels.Workspace w = kernels.workspace(plan, true)) {
            double[] f = measure(softmaxDevice, () -> kernels.forward(w, t.q, t.k, t.v, null, t.out));
            record("cuda-softmax-flash", p, "causal", "fwd", s, f, ioBytes(p, s, false), fwdFlops, "fa-convention", "");
            double[] fb = measure(softmaxDevice, () -> {
                kernels.forward(w, t.q, t.k, t.v, null, t.out);
                kernels.backward(w, t.q, t.k, t.v, t.g, null, t.out, t.dq, t.dk, t.dv);
            });
            record("cuda-softmax-flash", p, "causal", "fwd+bwd", s, fb, ioBytes(p, s, true), 3.5 * fwdFlops, "fa-convention", "");
        }
        SoftmaxKernels.Plan one = kernels.plan(new SoftmaxKernels.Shape(1, heads, 1, s, width, width, true, s - 1),
                SoftmaxKernels.Form.FLASH);
        try (SoftmaxKernels.Workspace w = kernels.workspace(one, false)) {
            double[] m = measure(softmaxDevice, () -> kernels.forward(w, t.q1, t.k, t.v, null, t.out1));
            double bytes = heads * (width * p.inputType().bytes() * (1.0 + 2.0 * s) + width * 4.0);
            record("cuda-softmax-flash", p, "causal", "decode", s, m, bytes, 4.0 * heads * s * width, "fa-convention",
                    "one query over s cached keys");
        }
    }

    private void softmaxNaive(Precision p, int s, Tensors t) {
        SoftmaxKernels kernels = new SoftmaxKernels(softmaxDevice, p);
        SoftmaxKernels.Plan plan = kernels.plan(SoftmaxKernels.Shape.self(1, heads, s, width, width, true), SoftmaxKernels.Form.NAIVE);
        double need = 2.0 * heads * s * (double) s * 4;
        double fwdFlops = 4.0 * heads * s * (double) s * width / 2;
        if (need > 0.8 * softmaxDevice.freeMemoryBytes()) {
            String note = String.format("skipped: needs %.1f GB for P and dP", need / 1e9);
            record("cuda-softmax-naive", p, "causal", "fwd", s, null, ioBytes(p, s, false), fwdFlops, "fa-convention", note);
            record("cuda-softmax-naive", p, "causal", "fwd+bwd", s, null, ioBytes(p, s, true), 3.5 * fwdFlops, "fa-convention", note);
        } else {
            try (SoftmaxKernels.Workspace w = kernels.workspace(plan, true)) {
                double[] f = measure(softmaxDevice, () -> kernels.forward(w, t.q, t.k, t.v, null, t.out));
                record("cuda-softmax-naive", p, "causal", "fwd", s, f, ioBytes(p, s, false), fwdFlops, "fa-convention",
                        "materialises (H, s, s)");
                double[] fb = measure(softmaxDevice, () -> {
                    kernels.forward(w, t.q, t.k, t.v, null, t.out);
                    kernels.backward(w, t.q, t.k, t.v, t.g, null, t.out, t.dq, t.dk, t.dv);
                });
                record("cuda-softmax-naive", p, "causal", "fwd+bwd", s, fb, ioBytes(p, s, true), 3.5 * fwdFlops,
                        "fa-convention", "materialises (H, s, s) twice");
            }
        }
    }

    static int[] lengths(int min, int max) {
        return Arrays.stream(new int[] {1024, 2048, 4096, 8192, 16384, 32768, 65536})
                .filter(s -> s >= min && s <= max).toArray();
    }
}
