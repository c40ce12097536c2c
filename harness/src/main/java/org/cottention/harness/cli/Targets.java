package org.cottention.harness.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.cottention.harness.results.CsvTable;

/**
 * The speed and memory targets of the benchmark issue, evaluated on the rows of attention.csv that
 * {@code ./cottention bench} just measured (causal, forward + backward, N = 1, H = 8, d = 64, float32; memory =
 * bytes the operation allocated). Writes targets.csv; a target whose rows are missing reads "not measured".
 */
final class Targets {
    private Targets() {}

    static void write(Path dir, PrintStream out) throws IOException {
        List<CSVRecord> rows;
        try (Reader r = Files.newBufferedReader(dir.resolve("attention.csv"))) {
            rows = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(r).getRecords();
        }
        CsvTable table = new CsvTable(List.of("target", "required", "measured", "verdict"));
        List<String> lines = new ArrayList<>();
        Optional<CSVRecord> cos4k = find(rows, "cosine-chunked", 4096), soft4k = find(rows, "softmax-materialized", 4096);
        Optional<CSVRecord> cos16k = find(rows, "cosine-chunked", 16384);
        add(table, lines, "softmax / cosine time, causal fwd+bwd, s=4096", ">= 10x",
                ratio(soft4k, cos4k, "median_ms"), 10, true);
        add(table, lines, "softmax / cosine memory (allocated per op), s=4096", ">= 8x",
                ratio(soft4k, cos4k, "alloc_mib_per_op"), 8, true);
        double minT = Double.MAX_VALUE, maxT = 0;
        int seen = 0;
        for (int s : new int[] {1024, 4096, 16384, 65536}) {
            Optional<CSVRecord> r = find(rows, "cosine-chunked", s);
            if (r.isEmpty()) continue;
            seen++;
            double t = Double.parseDouble(r.get().get("time_per_token_us"));
            minT = Math.min(minT, t);
            maxT = Math.max(maxT, t);
        }
        add(table, lines, "cosine time per token, max/min over s=1024..65536", "<= 1.25",
                seen == 4 ? maxT / minT : Double.NaN, 1.25, false);
        double worst = Double.NaN;
        for (int s : new int[] {1024, 4096, 16384}) {
            double r = ratio(find(rows, "cosine-chunked", 4 * s), find(rows, "cosine-chunked", s), "alloc_mib_per_op");
            worst = Double.isNaN(worst) || r > worst ? r : worst;
        }
        add(table, lines, "cosine memory(4s) / memory(s), worst of s=1024,4096,16384", "<= 4.4", worst, 4.4, false);
        double share = Double.NaN;
        for (int s : new int[] {4096, 16384, 65536}) {
            Optional<CSVRecord> r = find(rows, "cosine-chunked", s);
            if (r.isPresent()) {
                double x = Double.parseDouble(r.get().get("share_of_gemm"));
                share = Double.isNaN(share) ? x : Math.min(share, x);
            }
        }
        add(table, lines, "cosine share of the GEMM ceiling, worst of s>=4096", ">= 0.30", share, 0.30, true);
        add(table, lines, "cosine fwd+bwd time at s=4096 (ms)", "<= 60", value(cos4k, "median_ms"), 60, false);
        add(table, lines, "cosine fwd+bwd time at s=16384 (ms)", "<= 550", value(cos16k, "median_ms"), 550, false);
        table.write(dir.resolve("targets.csv"));
        out.println("bench: targets (causal, forward+backward, N=1 H=8 d=64 float32):");
        lines.forEach(out::println);
        out.println("bench: wrote " + dir.resolve("targets.csv"));
    }

    private static void add(CsvTable table, List<String> lines, String target, String required, double measured,
                            double bound, boolean atLeast) {
        String verdict = Double.isNaN(measured) ? "not measured"
                : (atLeast ? measured >= bound : measured <= bound) ? "met" : "missed";
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("target", target);
        row.put("required", required);
        row.put("measured", measured);
        row.put("verdict", verdict);
        table.add(row);
        lines.add(String.format(Locale.ROOT, "  %-60s %-9s %10.3f  %s", target, required, measured, verdict));
    }

    static Optional<CSVRecord> find(List<CSVRecord> rows, String impl, int length) {
        return rows.stream().filter(r -> r.get("impl").equals(impl) && r.get("causal").equals("true")
                && r.get("pass").equals("forward+backward") && r.get("length").equals(Integer.toString(length))
                && r.get("batch").equals("1") && r.get("heads").equals("8") && r.get("dim").equals("64")
                && (r.get("chunk").isEmpty() || r.get("chunk").equals("64"))).findFirst();
    }

    private static double value(Optional<CSVRecord> r, String column) {
        return r.map(x -> Double.parseDouble(x.get(column))).orElse(Double.NaN);
    }

    private static double ratio(Optional<CSVRecord> a, Optional<CSVRecord> b, String column) {
        return value(a, column) / value(b, column);
    }
}
