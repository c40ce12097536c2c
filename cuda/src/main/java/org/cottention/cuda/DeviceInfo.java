package org.cottention.cuda;

/**
 * What the CUDA driver reports about the device in use, and the peaks derived from it.
 *
 * @param memoryClockKHz    0 when the driver does not report it (peak bandwidth then unknown: NaN)
 * @param clockKHz          the SM boost clock; 0 when not reported
 */
public record DeviceInfo(String name, int ccMajor, int ccMinor, int multiprocessors, int clockKHz, int memoryClockKHz,
                         int busWidthBits, long totalMemoryBytes, int maxSharedBytesOptin, int driverVersion) {

    /** Peak DRAM bandwidth in GB/s: 2 transfers per memory clock (DDR/HBM) times the bus width. */
    public double peakBandwidthGBs() {
        if (memoryClockKHz <= 0 || busWidthBits <= 0) return Double.NaN;
        return 2.0 * memoryClockKHz * 1e3 * (busWidthBits / 8.0) / 1e9;
    }

    /** FP32 lanes per SM: 64 on sm_80 (A100), 128 on sm_86/89/90 and later. */
    public int fp32LanesPerSm() {
        return ccMajor == 8 && ccMinor == 0 ? 64 : 128;
    }

    /** Peak float32 FMA throughput on the CUDA cores in TFLOP/s (2 FLOPs per FMA) at the reported SM clock. */
    public double peakFp32Tflops() {
        if (clockKHz <= 0) return Double.NaN;
        return (double) multiprocessors * fp32LanesPerSm() * 2 * clockKHz * 1e3 / 1e12;
    }

    public String summary() {
        return String.format("%s (sm_%d%d, %d SMs, %.1f GiB, driver %d.%d)", name, ccMajor, ccMinor, multiprocessors,
                totalMemoryBytes / (1024.0 * 1024 * 1024), driverVersion / 1000, driverVersion % 1000 / 10);
    }
}
