package org.cottention.harness.gpu;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.cottention.cosine.cuda.CosineKernelTwins;
import org.cottention.cosine.cuda.CosineKernels;
import org.cottention.cuda.CudaRuntime;
import org.cottention.cuda.Device;
import org.cottention.cuda.DeviceInfo;
import org.cottention.harness.Cli;
import org.cottention.harness.CliException;
import org.cottention.harness.Options;
import org.cottention.harness.io.AtomicFiles;
import org.cottention.softmax.cuda.SoftmaxKernelTwins;
import org.cottention.softmax.cuda.SoftmaxKernels;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gpu-check}: validates every CUDA kernel against the reference and times them on this machine's GPU,
 * writing validation.csv, kernels.csv, device.csv and summary.md (which also reads sdpa.csv, PyTorch's
 * scaled_dot_product_attention timed by scripts/sdpa_bench.py, when it is there). Needs only the kernel jars,
 * reference, JCuda and picocli on the class path (no ND4J): scripts/gpu-check.sh runs it from a small pack.
 */
@Command(name = "gpu-check", sortOptions = false,
        description = "validate and time the CUDA kernels on this machine's GPU (see docs/cuda.md)",
        footerHeading = "%n",
        footer = "Validates every kernel against the double-precision reference (small shapes, decoding, "
                + "and causal cosine at --long-length with d = 64: the quadratic reference runs per head in"
                + " background threads), then times forward, forward+backward and decoding at N = 1, "
                + "--heads heads of --width over lengths --min-length .. --max-length (powers of 2), within"
                + " --budget-seconds.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every validation passed", "1:a validation failed, or a bug (a stack trace on stderr)",
            "2:bad input: one line on stderr naming it and the fix", "3:no GPU (CUDA unavailable)"})
public final class GpuCheck implements Callable<Integer> {
    /** The per-block shared-memory limit the dry run emulates: an H100's. */
    static final int EMULATED_SHARED = 232448;

    @Option(names = "--out", paramLabel = "DIR", description = "where the tables go (default: ${DEFAULT-VALUE})")
    String outDir = "results/gpu";
    @Option(names = "--budget-seconds", paramLabel = "S", description = "time budget (default: ${DEFAULT-VALUE})")
    int budgetSeconds = 250;
    @Option(names = "--heads", paramLabel = "H", description = "timed heads (default: 16; 2 with --emulate)")
    Integer heads;
    @Option(names = "--width", paramLabel = "D", description = "timed head width (default: ${DEFAULT-VALUE})")
    int width = 64;
    @Option(names = "--min-length", paramLabel = "S", description = "shortest timed length (default: ${DEFAULT-VALUE})")
    int minLength = 1024;
    @Option(names = "--max-length", paramLabel = "S", description = "longest timed length (default: ${DEFAULT-VALUE})")
    int maxLength = 65536;
    @Option(names = "--long-length", paramLabel = "S", description = "length of the long cosine validation "
            + "(default: 16384; 200 with --emulate)")
    Integer longLength;
    @Option(names = "--long-heads", paramLabel = "H", description = "heads of the long validations (default: ${DEFAULT-VALUE})")
    int longHeads = 2;
    @Option(names = "--softmax-long-length", paramLabel = "S", description = "length of the long flash softmax "
            + "validation (default: 4096; 130 with --emulate)")
    Integer softmaxLongLength;
    @Option(names = "--peak-gbs", paramLabel = "X", description = "peak DRAM bandwidth, GB/s (default: from the driver)")
    Double peakGbsGiven;
    @Option(names = "--peak-tflops", paramLabel = "X", description = "peak fp32 TFLOP/s (default: from the driver)")
    Double peakTflopsGiven;
    @Option(names = "--quick", description = "small validations and lengths up to 4096 only")
    boolean quick;
    @Option(names = "--emulate", description = "a dry run of the whole check on the CPU emulation of the kernels "
            + "with tiny shapes (no GPU needed; its numbers mean nothing)")
    boolean emulate;

    private final PrintStream out;

    public GpuCheck(PrintStream out) {
        this.out = out;
    }

    /** The GPU pack's entry point (no ./cottention there). */
    public static void main(String[] argv) {
        System.exit(Cli.execute(Cli.configure(new CommandLine(new GpuCheck(System.out)), System.out, System.err), argv));
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        Options.positive("--budget-seconds", budgetSeconds);
        Options.positive("--width", width);
        Options.positive("--min-length", minLength);
        Options.positive("--max-length", maxLength);
        Options.positive("--long-heads", longHeads);
        if (minLength > maxLength) throw new CliException("gpu-check: --min-length " + minLength + " exceeds --max-length " + maxLength);
        if (peakGbsGiven != null) Options.above("--peak-gbs", peakGbsGiven, 0);
        if (peakTflopsGiven != null) Options.above("--peak-tflops", peakTflopsGiven, 0);
        int heads = Options.positive("--heads", this.heads, emulate ? 2 : 16);
        int longLength = Options.positive("--long-length", this.longLength, emulate ? 200 : 16384);
        int softmaxLong = Options.positive("--softmax-long-length", softmaxLongLength, emulate ? 130 : 4096);
        long start = System.nanoTime();
        long deadline = start + budgetSeconds * 1_000_000_000L;
        Path dir = Path.of(outDir);
        if (!emulate && !CudaRuntime.available()) {
            System.err.println("gpu-check: CUDA unavailable: " + CudaRuntime.unavailableReason()
                    + " (--emulate dry-runs the check on the CPU emulation)");
            return 3;
        }
        DeviceInfo info = emulate ? new DeviceInfo("CPU emulation of the kernels (dry run)", 9, 0, 1, 0, 0, 0,
                Runtime.getRuntime().maxMemory(), EMULATED_SHARED, 0) : CudaRuntime.device();
        double peakGbs = peakGbsGiven != null ? peakGbsGiven : info.peakBandwidthGBs();
        double peakTflops = peakTflopsGiven != null ? peakTflopsGiven : info.peakFp32Tflops();
        out.printf("gpu-check: %s; peak DRAM %.0f GB/s (%s), peak fp32 %.1f TFLOP/s (%s)%n", info.summary(), peakGbs,
                peakGbsGiven != null ? "given" : "driver clocks", peakTflops, peakTflopsGiven != null ? "given" : "driver clocks");
        Device cosine = emulate ? CosineKernelTwins.device(EMULATED_SHARED) : CosineKernels.loadModule();
        Device softmax = emulate ? SoftmaxKernelTwins.device(EMULATED_SHARED) : SoftmaxKernels.loadModule();

        KernelValidation validation = new KernelValidation(cosine, softmax);
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Runtime.getRuntime().availableProcessors() - 1));
        cosine.checkEachLaunch(true); // while validating, a kernel fault is reported with the kernel's name
        softmax.checkEachLaunch(true);
        if (!quick) {
            int s = longLength, sm = softmaxLong;
            out.printf("validation: causal cosine at s = %d and flash softmax at s = %d, %d heads of 64: GPU done, "
                    + "reference started in the background%n", s, sm, longHeads);
            try {
                validation.startLong(pool, s, longHeads, sm);
            } catch (RuntimeException e) {
                out.println("validation: the long check failed: " + e);
                validation.failed("long", e);
            }
        }
        long t0 = System.nanoTime();
        validation.small(emulate ? KernelValidation.TINY : KernelValidation.SMALL, emulate ? 40 : 160);
        cosine.checkEachLaunch(false);
        softmax.checkEachLaunch(false);
        out.printf("validation: %d small-shape comparisons in %.1f s%n", validation.rows().size(), (System.nanoTime() - t0) / 1e9);

        int[] lengths = emulate ? new int[] {128, 256}
                : KernelTimings.lengths(minLength, quick ? 4096 : maxLength);
        // Leave a quarter of what is left for the background reference, at least 60 s.
        long timingDeadline = System.nanoTime() + Math.max(0, (deadline - System.nanoTime()) * 3 / 4);
        KernelTimings timings = new KernelTimings(cosine, softmax, heads, width, timingDeadline, out::println);
        // Written after each stage too, so that a run cut short by a time limit still leaves its results.
        Runnable write = () -> write(dir, info, peakGbs, peakTflops, validation.rows(), timings.results(), heads, width);
        write.run();
        try {
            timings.run(lengths, write);
        } finally {
            validation.collect(Math.max(deadline, System.nanoTime() + 60_000_000_000L));
            pool.shutdownNow();
        }
        write.run();

        List<KernelValidation.Row> rows = validation.rows();
        long failed = rows.stream().filter(r -> !r.pass()).count();
        out.printf("gpu-check: %d of %d validations passed; wrote device.csv, validation.csv, kernels.csv, summary.md "
                + "to %s in %.0f s%n", rows.size() - failed, rows.size(), dir, (System.nanoTime() - start) / 1e9);
        for (KernelValidation.Row r : rows) {
            if (!r.pass()) out.printf("  FAILED %s %s %s %s s=%d %s: %.3g (tolerance %.1g)%n", r.check(), r.impl(),
                    r.precision(), r.mode(), r.s(), r.quantity(), r.error(), r.tolerance());
        }
        return failed == 0 ? 0 : 1;
    }

    /** Writes (atomically) the four outputs from what has been gathered so far. */
    private void write(Path dir, DeviceInfo info, double peakGbs, double peakTflops,
                              List<KernelValidation.Row> rows, List<KernelTimings.Result> results, int heads, int width) {
        try {
            Map<String, byte[]> files = new LinkedHashMap<>();
            files.put("device.csv", utf8(deviceCsv(info, peakGbs, peakTflops, peakGbsGiven != null, peakTflopsGiven != null)));
            files.put("validation.csv", utf8(validationCsv(rows)));
            files.put("kernels.csv", utf8(kernelsCsv(info, results, peakGbs, peakTflops)));
            List<Map<String, String>> sdpa = readCsv(dir.resolve("sdpa.csv"));
            files.put("summary.md", utf8(GpuSummary.markdown(info, peakGbs, peakTflops, rows, results, sdpa, heads, width)));
            AtomicFiles.writeAll(dir, files);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write the results to " + dir, e);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    static String deviceCsv(DeviceInfo d, double peakGbs, double peakTflops, boolean gbsGiven, boolean tflopsGiven) {
        StringBuilder sb = new StringBuilder("key,value\n");
        sb.append("name,").append(d.name().replace(',', ' ')).append('\n');
        sb.append("compute_capability,").append(d.ccMajor()).append('.').append(d.ccMinor()).append('\n');
        sb.append("multiprocessors,").append(d.multiprocessors()).append('\n');
        sb.append("sm_clock_khz,").append(d.clockKHz()).append('\n');
        sb.append("memory_clock_khz,").append(d.memoryClockKHz()).append('\n');
        sb.append("memory_bus_bits,").append(d.busWidthBits()).append('\n');
        sb.append("memory_bytes,").append(d.totalMemoryBytes()).append('\n');
        sb.append("max_shared_bytes_per_block,").append(d.maxSharedBytesOptin()).append('\n');
        sb.append("driver_version,").append(d.driverVersion()).append('\n');
        sb.append(String.format(Locale.ROOT, "peak_dram_gb_per_s,%.1f%n", peakGbs));
        sb.append("peak_dram_source,").append(gbsGiven ? "--peak-gbs" : "2 x memory clock x bus width").append('\n');
        sb.append(String.format(Locale.ROOT, "peak_fp32_tflop_per_s,%.2f%n", peakTflops));
        sb.append("peak_fp32_source,").append(tflopsGiven ? "--peak-tflops" : "SMs x FP32 lanes x 2 x SM clock").append('\n');
        sb.append("java,").append(System.getProperty("java.version")).append('\n');
        sb.append("date,").append(Instant.now()).append('\n');
        return sb.toString();
    }

    static String validationCsv(List<KernelValidation.Row> rows) {
        StringBuilder sb = new StringBuilder("check,impl,precision,mode,batch,heads,length,key_dim,value_dim,quantity,error,tolerance,pass\n");
        for (KernelValidation.Row r : rows) {
            sb.append(String.format(Locale.ROOT, "%s,%s,%s,%s,%d,%d,%d,%d,%d,%s,%.3e,%.1e,%s%n", r.check(), r.impl(),
                    r.precision(), r.mode(), r.n(), r.h(), r.s(), r.dk(), r.dv(), r.quantity(), r.error(), r.tolerance(),
                    r.pass()));
        }
        return sb.toString();
    }

    static final String KERNEL_COLUMNS = "device,impl,precision,mode,pass,batch,heads,length,key_dim,value_dim,runs,"
            + "median_ms,min_ms,bytes,gb_per_s,pct_peak_bandwidth,flops,tflop_per_s,pct_peak_fp32,flop_model,note";

    static String kernelsCsv(DeviceInfo d, List<KernelTimings.Result> results, double peakGbs, double peakTflops) {
        StringBuilder sb = new StringBuilder(KERNEL_COLUMNS).append('\n');
        for (KernelTimings.Result r : results) {
            double sec = r.medianMs() / 1e3, gbs = r.bytes() / sec / 1e9, tf = r.flops() / sec / 1e12;
            sb.append(String.format(Locale.ROOT, "%s,%s,%s,%s,%s,%d,%d,%d,%d,%d,%d,%.4f,%.4f,%.0f,%.1f,%.1f,%.4g,%.3f,%.1f,%s,%s%n",
                    d.name().replace(',', ' '), r.impl(), r.precision(), r.mode(), r.pass(), r.n(), r.h(), r.s(), r.dk(),
                    r.dv(), r.runs(), r.medianMs(), r.minMs(), r.bytes(), gbs, 100 * gbs / peakGbs, r.flops(), tf,
                    100 * tf / peakTflops, r.flopModel(), r.note().replace(',', ';')));
        }
        return sb.toString();
    }

    /** A small CSV (no quoted fields) as rows of column -> value; empty when the file is missing. */
    static List<Map<String, String>> readCsv(Path file) throws IOException {
        List<Map<String, String>> out = new ArrayList<>();
        if (!Files.isRegularFile(file)) return out;
        List<String> lines = Files.readAllLines(file);
        if (lines.isEmpty()) return out;
        String[] header = lines.get(0).split(",", -1);
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) continue;
            String[] f = line.split(",", -1);
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < header.length && i < f.length; i++) row.put(header[i], f[i]);
            out.add(row);
        }
        return out;
    }
}
