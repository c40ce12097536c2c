package org.cottention.cuda;

import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_CLOCK_RATE;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.ToIntFunction;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.JCudaDriver;

/**
 * The one place that touches the CUDA driver first. {@link #available()} probes once per JVM (JCuda's driver
 * library needs only libcuda.so.1; without it the first touch throws UnsatisfiedLinkError, which is caught), logs
 * one line to stderr and remembers the answer; {@link #load} loads a kernel module (a fatbin resource built by
 * nvcc during the Maven build) on device 0's primary context.
 *
 * <p>System properties: {@code cottention.cuda.disable=true} pretends there is no GPU;
 * {@code cottention.cuda.fatbin.dir=DIR} loads DIR/NAME.fatbin instead of the class-path resource (gpu-check.sh
 * uses it for kernels compiled on the GPU machine itself).
 */
public final class CudaRuntime {
    private CudaRuntime() {}

    private record Probe(DeviceInfo device, CUcontext context, String reason) {}

    private static Probe probe;

    /** True when a CUDA device and driver are usable; probes once. */
    public static boolean available() {
        return probe().device != null;
    }

    /** Why CUDA is not available ("" when it is). */
    public static String unavailableReason() {
        Probe p = probe();
        return p.device != null ? "" : p.reason;
    }

    /** The device in use; throws {@link CudaUnavailableException} when there is none. */
    public static DeviceInfo device() {
        Probe p = probe();
        if (p.device == null) throw new CudaUnavailableException("no CUDA device/driver: " + p.reason);
        return p.device;
    }

    /** Makes the device's context current on the calling thread (JCuda contexts are per thread). */
    static void makeCurrent() {
        JCudaDriver.cuCtxSetCurrent(probe().context);
    }

    /**
     * Loads the kernel module {@code name}.fatbin: from the directory in {@code cottention.cuda.fatbin.dir} if set,
     * else the class-path resource {@code name}.fatbin next to {@code anchor}. declaredShared gives each kernel's
     * dynamic shared memory as the Java twins compute it (-1: sized at launch); it is checked against the fatbin's
     * {@code <kernel>_smem} globals, and used if a global cannot be read.
     *
     * @throws CudaUnavailableException without a device/driver, or when the module was not built (no nvcc)
     */
    public static Device load(Class<?> anchor, String name, ToIntFunction<String> declaredShared) {
        device();
        byte[] image = fatbin(anchor, name);
        return new JCudaDevice(name, image, probe().device, declaredShared);
    }

    private static byte[] fatbin(Class<?> anchor, String name) {
        String file = name + ".fatbin";
        String dir = System.getProperty("cottention.cuda.fatbin.dir");
        try {
            if (dir != null && !dir.isBlank()) {
                Path p = Path.of(dir, file);
                if (!Files.isRegularFile(p)) {
                    throw new CudaUnavailableException(p + " not found (set by -Dcottention.cuda.fatbin.dir)");
                }
                return Files.readAllBytes(p);
            }
            try (InputStream in = anchor.getResourceAsStream(file)) {
                if (in == null) {
                    throw new CudaUnavailableException("CUDA kernels not built: " + file + " is missing next to "
                            + anchor.getName() + " (the build found no nvcc; see docs/cuda.md)");
                }
                return in.readAllBytes();
            }
        } catch (IOException e) {
            throw new CudaUnavailableException("cannot read " + file + ": " + e.getMessage());
        }
    }

    private static synchronized Probe probe() {
        if (probe == null) {
            probe = detect();
            System.err.println(probe.device != null
                    ? "cuda: " + probe.device.summary()
                    : "cuda: unavailable (" + probe.reason + "); the CPU implementations run");
        }
        return probe;
    }

    private static Probe detect() {
        if (Boolean.getBoolean("cottention.cuda.disable")) {
            return new Probe(null, null, "disabled by -Dcottention.cuda.disable=true");
        }
        try {
            JCudaDriver.setExceptionsEnabled(true);
            JCudaDriver.cuInit(0);
            int[] count = {0};
            JCudaDriver.cuDeviceGetCount(count);
            if (count[0] == 0) return new Probe(null, null, "the driver reports no CUDA device");
            CUdevice dev = new CUdevice();
            JCudaDriver.cuDeviceGet(dev, 0);
            CUcontext ctx = new CUcontext();
            JCudaDriver.cuDevicePrimaryCtxRetain(ctx, dev);
            JCudaDriver.cuCtxSetCurrent(ctx);
            byte[] nameBytes = new byte[256];
            JCudaDriver.cuDeviceGetName(nameBytes, nameBytes.length, dev);
            String name = new String(nameBytes, StandardCharsets.US_ASCII).trim().replace("\0", "");
            long[] mem = {0};
            JCudaDriver.cuDeviceTotalMem(mem, dev);
            int[] driver = {0};
            JCudaDriver.cuDriverGetVersion(driver);
            DeviceInfo info = new DeviceInfo(name, attribute(dev, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
                    attribute(dev, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR),
                    attribute(dev, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT), attribute(dev, CU_DEVICE_ATTRIBUTE_CLOCK_RATE),
                    attribute(dev, CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE),
                    attribute(dev, CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH), mem[0],
                    attribute(dev, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN), driver[0]);
            return new Probe(info, ctx, "");
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            return new Probe(null, null, linkFailure(e.getMessage()));
        } catch (RuntimeException e) { // jcuda.CudaException
            return new Probe(null, null, "CUDA driver error: " + firstLine(e.getMessage()));
        }
    }

    /** A device attribute, or 0 when the driver does not know it. */
    private static int attribute(CUdevice dev, int attribute) {
        int[] v = {0};
        try {
            JCudaDriver.cuDeviceGetAttribute(v, attribute, dev);
        } catch (RuntimeException e) {
            return 0;
        }
        return v[0];
    }

    /**
     * The cause in JCuda's multi-line load error: its last nested UnsatisfiedLinkError, e.g. "libcuda.so.1: cannot
     * open shared object file" (the NVIDIA driver is not installed).
     */
    private static String linkFailure(String message) {
        if (message == null) return "unknown error";
        String cause = null;
        for (String line : message.split("\n")) {
            int at = line.indexOf("UnsatisfiedLinkError: ");
            if (at >= 0) cause = line.substring(at + "UnsatisfiedLinkError: ".length()).trim();
        }
        if (cause == null) return firstLine(message);
        int so = cause.lastIndexOf(".so: ");
        return so >= 0 ? cause.substring(so + 5) : cause;
    }

    private static String firstLine(String s) {
        if (s == null) return "unknown error";
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }
}
