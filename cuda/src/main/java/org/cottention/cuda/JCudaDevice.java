package org.cottention.cuda;

import static jcuda.driver.CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.ToIntFunction;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

/** A kernel module on the real GPU through JCuda's driver API (default stream, device 0's primary context). */
final class JCudaDevice implements Device {
    private static final int DEFAULT_SHARED_LIMIT = 48 * 1024;

    private final String moduleName;
    private final DeviceInfo info;
    private final CUmodule module = new CUmodule();
    private final Map<String, CUfunction> functions = new HashMap<>();
    private final Map<String, Integer> sharedBytes = new HashMap<>();
    private final Set<String> sharedRaised = new HashSet<>();
    private boolean checkEachLaunch = Boolean.getBoolean("cottention.cuda.checkEachLaunch");

    private final ToIntFunction<String> declaredShared;

    JCudaDevice(String moduleName, byte[] fatbin, DeviceInfo info, ToIntFunction<String> declaredShared) {
        this.moduleName = moduleName;
        this.info = info;
        this.declaredShared = declaredShared;
        CudaRuntime.makeCurrent();
        try {
            JCudaDriver.cuModuleLoadData(module, fatbin);
        } catch (CudaException e) {
            throw new CudaUnavailableException("cannot load " + moduleName + ".fatbin on " + info.name() + " (sm_"
                    + info.ccMajor() + info.ccMinor() + "): " + e.getMessage()
                    + "; the fatbin holds sm_80 and sm_90 code and compute_90 PTX, which needs a CUDA 13 driver");
        }
    }

    private static final class JBuffer implements Buffer {
        final CUdeviceptr ptr = new CUdeviceptr();
        final ElementType type;
        final long count;
        boolean freed;

        JBuffer(ElementType type, long count) {
            this.type = type;
            this.count = count;
        }

        @Override
        public ElementType type() {
            return type;
        }

        @Override
        public long count() {
            return count;
        }

        @Override
        public synchronized void close() {
            if (!freed) {
                freed = true;
                CudaRuntime.makeCurrent();
                JCudaDriver.cuMemFree(ptr);
            }
        }
    }

    private static JBuffer cast(Buffer b) {
        if (!(b instanceof JBuffer j)) throw new IllegalArgumentException("not a buffer of a JCuda device: " + b);
        if (j.freed) throw new IllegalStateException("buffer used after close");
        return j;
    }

    @Override
    public Buffer alloc(ElementType type, long count) {
        CudaRuntime.makeCurrent();
        JBuffer b = new JBuffer(type, count);
        try {
            JCudaDriver.cuMemAlloc(b.ptr, Math.max(1, count) * type.bytes());
        } catch (CudaException e) {
            throw new IllegalStateException("cannot allocate " + count * type.bytes() + " bytes on " + info.name()
                    + ": " + e.getMessage(), e);
        }
        return b;
    }

    @Override
    public void upload(Buffer dst, float[] src) {
        JBuffer b = cast(dst);
        check(b, src.length);
        CudaRuntime.makeCurrent();
        switch (b.type) {
            case F32 -> JCudaDriver.cuMemcpyHtoD(b.ptr, Pointer.to(src), (long) src.length * 4);
            case BF16 -> {
                short[] h = new short[src.length];
                for (int i = 0; i < h.length; i++) h[i] = ElementType.toBf16(src[i]);
                JCudaDriver.cuMemcpyHtoD(b.ptr, Pointer.to(h), (long) h.length * 2);
            }
            default -> throw new IllegalArgumentException("float[] upload into a " + b.type + " buffer");
        }
    }

    @Override
    public void upload(Buffer dst, double[] src) {
        JBuffer b = cast(dst);
        check(b, src.length);
        if (b.type != ElementType.F64) throw new IllegalArgumentException("double[] upload into a " + b.type + " buffer");
        CudaRuntime.makeCurrent();
        JCudaDriver.cuMemcpyHtoD(b.ptr, Pointer.to(src), (long) src.length * 8);
    }

    @Override
    public void download(Buffer src, float[] dst) {
        JBuffer b = cast(src);
        check(b, dst.length);
        CudaRuntime.makeCurrent();
        switch (b.type) {
            case F32 -> JCudaDriver.cuMemcpyDtoH(Pointer.to(dst), b.ptr, (long) dst.length * 4);
            case BF16 -> {
                short[] h = new short[dst.length];
                JCudaDriver.cuMemcpyDtoH(Pointer.to(h), b.ptr, (long) h.length * 2);
                for (int i = 0; i < h.length; i++) dst[i] = ElementType.fromBf16(h[i]);
            }
            default -> throw new IllegalArgumentException("float[] download from a " + b.type + " buffer");
        }
    }

    @Override
    public void download(Buffer src, double[] dst) {
        JBuffer b = cast(src);
        check(b, dst.length);
        if (b.type != ElementType.F64) throw new IllegalArgumentException("double[] download from a " + b.type + " buffer");
        CudaRuntime.makeCurrent();
        JCudaDriver.cuMemcpyDtoH(Pointer.to(dst), b.ptr, (long) dst.length * 8);
    }

    @Override
    public void zero(Buffer dst) {
        JBuffer b = cast(dst);
        CudaRuntime.makeCurrent();
        JCudaDriver.cuMemsetD8(b.ptr, (byte) 0, b.count * b.type.bytes());
    }

    private static void check(JBuffer b, long length) {
        if (length != b.count) {
            throw new IllegalArgumentException("host array of " + length + " elements for a buffer of " + b.count);
        }
    }

    private CUfunction function(String name) {
        return functions.computeIfAbsent(name, n -> {
            CUfunction f = new CUfunction();
            try {
                JCudaDriver.cuModuleGetFunction(f, module, n);
            } catch (CudaException e) {
                throw new IllegalArgumentException("kernel " + n + " not found in " + moduleName + ".fatbin", e);
            }
            return f;
        });
    }

    @Override
    public void launch(String kernel, int gridX, int gridY, int shared, Object... args) {
        CudaRuntime.makeCurrent();
        CUfunction f = function(kernel);
        if (shared > DEFAULT_SHARED_LIMIT && sharedRaised.add(kernel)) {
            if (shared > info.maxSharedBytesOptin()) {
                throw new IllegalArgumentException(kernel + " needs " + shared + " bytes of shared memory; "
                        + info.name() + " allows " + info.maxSharedBytesOptin());
            }
            JCudaDriver.cuFuncSetAttribute(f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, shared);
        }
        Pointer[] params = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a == null) params[i] = Pointer.to(new CUdeviceptr());
            else if (a instanceof Buffer b) params[i] = Pointer.to(cast(b).ptr);
            else if (a instanceof Integer x) params[i] = Pointer.to(new int[] {x});
            else if (a instanceof Long x) params[i] = Pointer.to(new long[] {x});
            else if (a instanceof Float x) params[i] = Pointer.to(new float[] {x});
            else throw new IllegalArgumentException(kernel + ": argument " + i + " of type " + a.getClass());
        }
        try {
            JCudaDriver.cuLaunchKernel(f, gridX, gridY, 1, THREADS, 1, 1, shared, null, Pointer.to(params), null);
            if (checkEachLaunch) JCudaDriver.cuCtxSynchronize();
        } catch (CudaException e) {
            throw new IllegalStateException("launch of " + kernel + " (grid " + gridX + " x " + gridY + ", " + shared
                    + " bytes shared) failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void checkEachLaunch(boolean on) {
        checkEachLaunch = on;
    }

    /**
     * The fatbin's {@code <kernel>_smem} global, checked against the twins' value: they are two copies of one tile
     * layout, and launching with too little shared memory would corrupt memory silently.
     */
    @Override
    public int sharedBytes(String kernel) {
        return sharedBytes.computeIfAbsent(kernel, k -> {
            int declared = -1;
            try {
                declared = declaredShared == null ? -1 : declaredShared.applyAsInt(k);
            } catch (IllegalArgumentException e) {
                // a kernel the twins do not know
            }
            CudaRuntime.makeCurrent();
            CUdeviceptr ptr = new CUdeviceptr();
            long[] size = {0};
            int fromModule = -1;
            try {
                JCudaDriver.cuModuleGetGlobal(ptr, size, module, k + "_smem");
                int[] v = {0};
                JCudaDriver.cuMemcpyDtoH(Pointer.to(v), ptr, 4);
                fromModule = v[0];
            } catch (CudaException e) {
                // no such global: a kernel without tile layout, or one the driver does not expose
            }
            return resolveShared(moduleName + ".fatbin", k, fromModule, declared);
        });
    }

    /** The module's value (-1: not readable) checked against the twins' (-1: unknown or sized at launch). */
    static int resolveShared(String module, String kernel, int fromModule, int declared) {
        if (fromModule >= 0 && declared >= 0 && fromModule != declared) {
            throw new IllegalStateException(kernel + ": " + module + " declares " + fromModule + " bytes of shared "
                    + "memory, its Java twin " + declared + ": the kernel and its twin disagree");
        }
        return fromModule >= 0 ? fromModule : Math.max(declared, 0);
    }

    @Override
    public long freeMemoryBytes() {
        CudaRuntime.makeCurrent();
        long[] free = {0}, total = {0};
        JCudaDriver.cuMemGetInfo(free, total);
        return free[0];
    }

    @Override
    public int maxSharedBytes() {
        return info.maxSharedBytesOptin();
    }

    @Override
    public void synchronize() {
        CudaRuntime.makeCurrent();
        try {
            JCudaDriver.cuCtxSynchronize();
        } catch (CudaException e) {
            throw new IllegalStateException(moduleName + " kernels failed on " + info.name() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public double timeMillis(Runnable body) {
        CudaRuntime.makeCurrent();
        CUevent start = new CUevent(), stop = new CUevent();
        JCudaDriver.cuEventCreate(start, 0);
        JCudaDriver.cuEventCreate(stop, 0);
        try {
            JCudaDriver.cuEventRecord(start, null);
            body.run();
            JCudaDriver.cuEventRecord(stop, null);
            JCudaDriver.cuEventSynchronize(stop);
            float[] ms = {0};
            JCudaDriver.cuEventElapsedTime(ms, start, stop);
            return ms[0];
        } finally {
            JCudaDriver.cuEventDestroy(start);
            JCudaDriver.cuEventDestroy(stop);
        }
    }

    @Override
    public String description() {
        return moduleName + ".fatbin on " + info.summary();
    }

    @Override
    public void close() {
        CudaRuntime.makeCurrent();
        JCudaDriver.cuModuleUnload(module);
    }
}
