package org.cottention.harness.gpu;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.cottention.cuda.DeviceInfo;

/**
 * summary.md of a GPU check: validation per kernel, the targets for causal cosine attention at s = 16384,
 * d = 64 (accuracy, share of the bandwidth roofline, speed against PyTorch's SDPA), and the timing tables.
 */
final class GpuSummary {
    private GpuSummary() {}

    static final int TARGET_LENGTH = 16384;
    static final double TARGET_ERROR = 1e-4, TARGET_ROOFLINE_PCT = 20;

    /** A timing, ours or PyTorch's, keyed by implementation and precision. */
    private record Timing(String impl, String precision, String pass, int s, double ms, double pctBandwidth, String note) {}

    static String markdown(DeviceInfo info, double peakGbs, double peakTflops, List<KernelValidation.Row> rows,
                           List<KernelTimings.Result> results, List<Map<String, String>> sdpa, int heads, int width) {
        StringBuilder md = new StringBuilder();
        md.append("# GPU check: ").append(info.summary()).append("\n\n");
        md.append(String.format(Locale.ROOT, "%s. Peaks: DRAM %.0f GB/s, FP32 (CUDA cores) %.1f TFLOP/s. Timings: N = 1, "
                + "H = %d, d = %d, no padding, CUDA events, median of up to 10 calls after warm-up. Written by "
                + "scripts/gpu-check.sh (GpuCheck + sdpa_bench.py); raw numbers in kernels.csv, sdpa.csv, "
                + "validation.csv, device.csv.%n%n", Instant.now(), peakGbs, peakTflops, heads, width));

        List<Timing> timings = new ArrayList<>();
        for (KernelTimings.Result r : results) {
            double gbs = r.bytes() / (r.medianMs() / 1e3) / 1e9;
            timings.add(new Timing(r.impl(), r.precision(), r.pass(), r.s(), r.medianMs(), 100 * gbs / peakGbs, r.note()));
        }
        for (Map<String, String> r : sdpa) { // the same peak for PyTorch's numbers as for ours
            double ms = parse(r.get("median_ms")), gbs = parse(r.get("bytes")) / (ms / 1e3) / 1e9;
            timings.add(new Timing(r.get("impl"), r.get("precision"), r.get("pass"), parseInt(r.get("length")), ms,
                    100 * gbs / peakGbs, r.getOrDefault("note", "")));
        }

        targets(md, rows, timings, width);
        validation(md, rows);
        for (String pass : new String[] {"fwd", "fwd+bwd", "decode"}) table(md, timings, pass);
        return md.toString();
    }

    private static void targets(StringBuilder md, List<KernelValidation.Row> rows, List<Timing> timings, int width) {
        md.append("## Targets: causal cosine attention, d = 64, s = ").append(TARGET_LENGTH).append("\n\n");
        if (width != 64) {
            md.append("Not evaluated: this run used d = ").append(width).append(".\n\n");
            return;
        }
        for (String p : new String[] {"f32-simt", "f32-tf32x3"}) {
            double worst = -1;
            int length = 0;
            for (KernelValidation.Row r : rows) {
                if (r.check().startsWith("long") && r.impl().equals("cuda-cosine-chunked") && r.precision().equals(p)) {
                    worst = Math.max(worst, Double.isNaN(r.error()) ? Double.POSITIVE_INFINITY : r.error());
                    length = r.s();
                }
            }
            String verdict = worst <= TARGET_ERROR ? "met (<= 1e-4)" : "NOT met (> 1e-4)";
            if (length != TARGET_LENGTH) verdict = "not evaluated at s = " + TARGET_LENGTH;
            md.append(String.format(Locale.ROOT, "- accuracy (%s; output, dq, dk, dv, dm against the float64 reference, "
                    + "relative): %s%n", p, worst < 0 ? "not run" : String.format(Locale.ROOT, "worst %.2e at s = %d -> %s",
                    worst, length, verdict)));
        }
        Timing best = null;
        for (Timing t : timings) {
            if (t.impl().equals("cuda-cosine-chunked") && t.pass().equals("fwd+bwd") && t.s() == TARGET_LENGTH
                    && t.precision().startsWith("f32") && !Double.isNaN(t.ms()) && (best == null || t.ms() < best.ms())) {
                best = t;
            }
        }
        md.append(best == null ? "- bandwidth roofline: not measured\n" : String.format(Locale.ROOT,
                "- bandwidth roofline (fwd+bwd, %s, compulsory bytes / time): %.1f %% of peak -> %s%n", best.precision(),
                best.pctBandwidth(), best.pctBandwidth() >= TARGET_ROOFLINE_PCT ? "met (>= 20 %)" : "NOT met (< 20 %)"));
        md.append("- against PyTorch SDPA causal fwd+bwd (bf16, FlashAttention backend) at s >= 8192:\n\n");
        md.append("| s | SDPA bf16 (ms) | ours f32-simt | ours f32-tf32x3 | ours bf16-tf32 | speed-up (best f32) |\n");
        md.append("|---|---|---|---|---|---|\n");
        boolean any = false, met = true;
        for (int s : new int[] {8192, 16384, 32768, 65536}) {
            Timing ref = find(timings, "torch-sdpa", "bf16", "fwd+bwd", s);
            double[] ours = new double[3];
            String[] ps = {"f32-simt", "f32-tf32x3", "bf16-tf32"};
            for (int i = 0; i < 3; i++) {
                Timing t = find(timings, "cuda-cosine-chunked", ps[i], "fwd+bwd", s);
                ours[i] = t == null ? Double.NaN : t.ms();
            }
            if (ref == null && Double.isNaN(ours[0])) continue;
            double bestF32 = Math.min(nanMax(ours[0]), nanMax(ours[1]));
            double speedup = ref == null ? Double.NaN : ref.ms() / bestF32;
            if (ref != null && !Double.isNaN(speedup)) {
                any = true;
                met &= speedup > 1;
            }
            md.append(String.format(Locale.ROOT, "| %d | %s | %s | %s | %s | %s |%n", s, ms(ref == null ? Double.NaN : ref.ms()),
                    ms(ours[0]), ms(ours[1]), ms(ours[2]), Double.isNaN(speedup) || Double.isInfinite(speedup) ? "-"
                            : String.format(Locale.ROOT, "%.2fx", speedup)));
        }
        md.append(any ? (met ? "\nFaster than SDPA at every measured s >= 8192: met.\n\n"
                : "\nNOT faster than SDPA at every measured s >= 8192.\n\n") : "\nNo SDPA timings (sdpa.csv missing).\n\n");
    }

    private static double nanMax(double x) {
        return Double.isNaN(x) ? Double.POSITIVE_INFINITY : x;
    }

    private static Timing find(List<Timing> timings, String impl, String precision, String pass, int s) {
        for (Timing t : timings) {
            if (t.impl().equals(impl) && t.precision().equals(precision) && t.pass().equals(pass) && t.s() == s
                    && !Double.isNaN(t.ms())) {
                return t;
            }
        }
        return null;
    }

    private static void validation(StringBuilder md, List<KernelValidation.Row> rows) {
        long failed = rows.stream().filter(r -> !r.pass()).count();
        md.append("## Validation against the float64 reference: ").append(rows.size() - failed).append(" of ")
                .append(rows.size()).append(" comparisons passed\n\n");
        md.append("| kernel | precision | mode | comparisons | worst error | tolerance | passed |\n|---|---|---|---|---|---|---|\n");
        Map<String, double[]> groups = new LinkedHashMap<>();
        for (KernelValidation.Row r : rows) {
            String key = r.impl() + "|" + r.precision() + "|" + r.mode();
            double[] g = groups.computeIfAbsent(key, k -> new double[] {0, 0, 0, 0}); // count, worst, tol, failed
            g[0]++;
            g[1] = Math.max(g[1], Double.isNaN(r.error()) ? Double.POSITIVE_INFINITY : r.error());
            g[2] = Math.max(g[2], r.tolerance());
            if (!r.pass()) g[3]++;
        }
        groups.forEach((k, g) -> {
            String[] f = k.split("\\|");
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %.2e | %.0e | %s |%n", f[0], f[1], f[2], (int) g[0],
                    g[1], g[2], g[3] == 0 ? "yes" : "NO (" + (int) g[3] + " failed)"));
        });
        md.append('\n');
    }

    private static void table(StringBuilder md, List<Timing> timings, String pass) {
        TreeSet<Integer> lengths = new TreeSet<>();
        List<String> columns = new ArrayList<>();
        for (Timing t : timings) {
            if (!t.pass().equals(pass)) continue;
            lengths.add(t.s());
            String col = t.impl() + " " + t.precision();
            if (!columns.contains(col)) columns.add(col);
        }
        if (columns.isEmpty()) return;
        md.append("## ").append(pass).append(": median ms (% of the DRAM roofline)\n\n| s |");
        for (String c : columns) md.append(' ').append(c).append(" |");
        md.append("\n|---|");
        md.append("---|".repeat(columns.size())).append('\n');
        for (int s : lengths) {
            md.append("| ").append(s).append(" |");
            for (String c : columns) {
                Timing hit = null;
                for (Timing t : timings) {
                    if (t.pass().equals(pass) && t.s() == s && (t.impl() + " " + t.precision()).equals(c)) hit = t;
                }
                md.append(' ').append(hit == null ? "" : Double.isNaN(hit.ms()) ? shortNote(hit.note())
                        : String.format(Locale.ROOT, "%s (%.0f%%)", ms(hit.ms()), hit.pctBandwidth())).append(" |");
            }
            md.append('\n');
        }
        md.append('\n');
    }

    private static String shortNote(String note) {
        return note.startsWith("skipped") ? note : "n/a";
    }

    private static String ms(double ms) {
        if (Double.isNaN(ms)) return "-";
        return ms >= 100 ? String.format(Locale.ROOT, "%.0f", ms) : ms >= 1 ? String.format(Locale.ROOT, "%.2f", ms)
                : String.format(Locale.ROOT, "%.3f", ms);
    }

    private static double parse(String s) {
        try {
            return s == null || s.isEmpty() ? Double.NaN : Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private static int parseInt(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
