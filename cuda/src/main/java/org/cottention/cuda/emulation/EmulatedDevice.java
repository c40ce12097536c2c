package org.cottention.cuda.emulation;

import java.util.Arrays;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import org.cottention.cuda.Device;
import org.cottention.cuda.ElementType;

/**
 * A {@link Device} whose kernels are Java twins running on the CPU, one block after another. Buffers start as
 * NaN (device memory is uninitialised), launches check the dynamic shared memory against a device limit, and the
 * twins check each argument's element type, so the host code that sequences the kernels is exercised exactly as
 * on a GPU. Used by the tests; slow, for small shapes only.
 */
public final class EmulatedDevice implements Device {

    /** A kernel twin: runs every block of a (gridX, gridY) launch. */
    @FunctionalInterface
    public interface Kernel {
        void run(int gridX, int gridY, int sharedBytes, Args args);
    }

    private final String name;
    private final Function<String, Kernel> kernels;
    private final ToIntFunction<String> shared;
    private final int maxShared;
    private long launches;

    /**
     * @param kernels   twin by kernel name (throws for an unknown name)
     * @param shared    dynamic shared memory by kernel name, as the CUDA source declares it (its _smem global);
     *                  -1 for a kernel whose caller sizes it
     * @param maxShared the per-block limit to emulate (232448 bytes on an H100, 166912 on an A100)
     */
    public EmulatedDevice(String name, Function<String, Kernel> kernels, ToIntFunction<String> shared, int maxShared) {
        this.name = name;
        this.kernels = kernels;
        this.shared = shared;
        this.maxShared = maxShared;
    }

    /** Host memory standing in for a device allocation: float[] for F32 and BF16 (values rounded), double[] for F64. */
    public static final class EmuBuffer implements Buffer {
        final ElementType type;
        final float[] f;
        final double[] d;
        boolean freed;

        EmuBuffer(ElementType type, long count) {
            this.type = type;
            int n = Math.toIntExact(count);
            this.f = type == ElementType.F64 ? null : new float[n];
            this.d = type == ElementType.F64 ? new double[n] : null;
            if (f != null) Arrays.fill(f, Float.NaN);
            if (d != null) Arrays.fill(d, Double.NaN);
        }

        @Override
        public ElementType type() {
            return type;
        }

        @Override
        public long count() {
            return f != null ? f.length : d.length;
        }

        @Override
        public void close() {
            freed = true;
        }
    }

    /** Typed access to launch arguments, checked against what the kernel's signature declares. */
    public static final class Args {
        private final String kernel;
        private final Object[] a;

        Args(String kernel, Object[] a) {
            this.kernel = kernel;
            this.a = a;
        }

        public int size() {
            return a.length;
        }

        private EmuBuffer buffer(int i, ElementType type) {
            if (a[i] == null) return null;
            if (!(a[i] instanceof EmuBuffer b)) {
                throw new IllegalArgumentException(kernel + ": argument " + i + " must be a buffer, got " + a[i]);
            }
            if (b.freed) throw new IllegalStateException(kernel + ": argument " + i + " used after close");
            if (b.type != type) {
                throw new IllegalArgumentException(kernel + ": argument " + i + " must be " + type + ", got " + b.type);
            }
            return b;
        }

        /** A float32 or bf16 buffer (null pointer: null). */
        public float[] floats(int i, ElementType type) {
            EmuBuffer b = buffer(i, type);
            return b == null ? null : b.f;
        }

        public float[] f32(int i) {
            return floats(i, ElementType.F32);
        }

        public double[] f64(int i) {
            EmuBuffer b = buffer(i, ElementType.F64);
            return b == null ? null : b.d;
        }

        public int i32(int i) {
            if (!(a[i] instanceof Integer x)) throw new IllegalArgumentException(kernel + ": argument " + i + " must be int");
            return x;
        }

        public long i64(int i) {
            if (!(a[i] instanceof Long x)) throw new IllegalArgumentException(kernel + ": argument " + i + " must be long");
            return x;
        }

        public float f(int i) {
            if (!(a[i] instanceof Float x)) throw new IllegalArgumentException(kernel + ": argument " + i + " must be float");
            return x;
        }

        /** Checks the argument count. */
        public Args expect(int count) {
            if (a.length != count) {
                throw new IllegalArgumentException(kernel + ": " + count + " arguments expected, got " + a.length);
            }
            return this;
        }
    }

    /** Kernel launches so far. */
    public long launches() {
        return launches;
    }

    private static EmuBuffer cast(Buffer b) {
        if (!(b instanceof EmuBuffer e)) throw new IllegalArgumentException("not an emulated buffer: " + b);
        if (e.freed) throw new IllegalStateException("buffer used after close");
        return e;
    }

    @Override
    public Buffer alloc(ElementType type, long count) {
        return new EmuBuffer(type, count);
    }

    @Override
    public void upload(Buffer dst, float[] src) {
        EmuBuffer b = cast(dst);
        if (b.f == null || src.length != b.f.length) throw new IllegalArgumentException("upload: type or length mismatch");
        for (int i = 0; i < src.length; i++) b.f[i] = b.type == ElementType.BF16 ? ElementType.roundToBf16(src[i]) : src[i];
    }

    @Override
    public void upload(Buffer dst, double[] src) {
        EmuBuffer b = cast(dst);
        if (b.d == null || src.length != b.d.length) throw new IllegalArgumentException("upload: type or length mismatch");
        System.arraycopy(src, 0, b.d, 0, src.length);
    }

    @Override
    public void download(Buffer src, float[] dst) {
        EmuBuffer b = cast(src);
        if (b.f == null || dst.length != b.f.length) throw new IllegalArgumentException("download: type or length mismatch");
        System.arraycopy(b.f, 0, dst, 0, dst.length);
    }

    @Override
    public void download(Buffer src, double[] dst) {
        EmuBuffer b = cast(src);
        if (b.d == null || dst.length != b.d.length) throw new IllegalArgumentException("download: type or length mismatch");
        System.arraycopy(b.d, 0, dst, 0, dst.length);
    }

    @Override
    public void zero(Buffer dst) {
        EmuBuffer b = cast(dst);
        if (b.f != null) Arrays.fill(b.f, 0f);
        else Arrays.fill(b.d, 0.0);
    }

    @Override
    public void launch(String kernel, int gridX, int gridY, int sharedBytes, Object... args) {
        if (gridX < 1 || gridY < 1 || gridY > 65535) {
            throw new IllegalArgumentException(kernel + ": grid " + gridX + " x " + gridY + " out of range");
        }
        int declared = shared.applyAsInt(kernel); // < 0: sized by the caller at launch
        if (declared >= 0 && sharedBytes != declared) {
            throw new IllegalArgumentException(kernel + ": launched with " + sharedBytes + " bytes of shared memory, declares "
                    + declared);
        }
        if (sharedBytes > maxShared) {
            throw new IllegalArgumentException(kernel + " needs " + sharedBytes + " bytes of shared memory; the emulated "
                    + "device allows " + maxShared);
        }
        launches++;
        kernels.apply(kernel).run(gridX, gridY, sharedBytes, new Args(kernel, args));
    }

    @Override
    public int sharedBytes(String kernel) {
        return shared.applyAsInt(kernel);
    }

    @Override
    public long freeMemoryBytes() {
        return Runtime.getRuntime().maxMemory() - (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory());
    }

    @Override
    public int maxSharedBytes() {
        return maxShared;
    }

    @Override
    public void synchronize() {}

    @Override
    public double timeMillis(Runnable body) {
        long t0 = System.nanoTime();
        body.run();
        return (System.nanoTime() - t0) / 1e6;
    }

    @Override
    public String description() {
        return name + " (CPU emulation)";
    }

    @Override
    public void close() {}
}
