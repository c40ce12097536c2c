package org.cottention.harness.experiment;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.cottention.harness.results.CsvTable;

/** The experiments of the reproduction, in the order they run, and their result files. */
public final class Experiments {
    private Experiments() {}

    /** Columns every row of every table starts with; the experiment's own columns and provenance follow. */
    public static final List<String> STANDARD_COLUMNS = List.of("experiment", "config", "model", "attention",
            "implementation", "backend", "shape", "dtype", "seed", "profile", "status");

    public static List<Experiment> all() {
        return List.of(new AttentionScalingExperiment(), new DecodingExperiment(), new BertExperiment(),
                new GptExperiment(), new StabiliserExperiment());
    }

    public static Optional<Experiment> find(String name) {
        return all().stream().filter(e -> e.name().equals(name)).findFirst();
    }

    public static List<String> names() {
        return all().stream().map(Experiment::name).toList();
    }

    /** The full column list of an experiment's table (provenance columns are appended by CsvTable). */
    public static List<String> columns(Experiment e) {
        List<String> c = new ArrayList<>(STANDARD_COLUMNS);
        for (String col : e.columns()) if (!c.contains(col)) c.add(col);
        return c;
    }

    /** Where one configuration's rows live: out/.runs/experiment/key.csv. */
    public static Path rowsFile(Path out, Experiment e, RunConfig c) {
        return out.resolve(".runs").resolve(e.name()).resolve(c.key() + ".csv");
    }

    /** Files an experiment's configurations share (checkpoints, curves): out/.runs/experiment/work. */
    public static Path workDir(Path out, Experiment e) {
        return out.resolve(".runs").resolve(e.name()).resolve("work");
    }

    public static Path logFile(Path out, Experiment e, RunConfig c) {
        return out.resolve(".runs").resolve(e.name()).resolve(c.key() + ".log");
    }

    /** Writes one configuration's rows (atomically). */
    public static void writeRows(Path file, Experiment e, RunConfig c, Profile profile, String backend,
                                 List<Map<String, Object>> rows) throws IOException {
        CsvTable t = new CsvTable(columns(e));
        for (Map<String, Object> r : rows) {
            Map<String, Object> full = new LinkedHashMap<>();
            full.put("experiment", e.name());
            full.put("config", c.key());
            full.put("backend", backend);
            full.put("profile", profile.label());
            full.putAll(r);
            t.add(full);
        }
        t.write(file);
    }

    /** Reads a CSV with a header into rows of column -> value. */
    public static List<Map<String, String>> readCsv(Path file) throws IOException {
        List<Map<String, String>> out = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(file)) {
            for (CSVRecord rec : CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(r)) {
                out.add(new LinkedHashMap<>(rec.toMap()));
            }
        }
        return out;
    }

    /** The merged rows of every finished configuration, in configuration order; the CSV text too. */
    public static List<Map<String, String>> mergedRows(Path out, Experiment e, Profile profile) throws IOException {
        List<Map<String, String>> rows = new ArrayList<>();
        for (RunConfig c : e.configs(profile)) {
            Path f = rowsFile(out, e, c);
            if (Files.isRegularFile(f)) rows.addAll(readCsv(f));
        }
        return rows;
    }

    /** Writes out/experiment.csv from the finished configurations' rows; returns them. */
    public static List<Map<String, String>> merge(Path out, Experiment e, Profile profile) throws IOException {
        List<Map<String, String>> rows = mergedRows(out, e, profile);
        if (rows.isEmpty()) return rows;
        List<String> header = new ArrayList<>(rows.get(0).keySet());
        StringBuilder sb = new StringBuilder();
        try (var printer = new org.apache.commons.csv.CSVPrinter(sb, CSVFormat.DEFAULT.builder()
                .setHeader(header.toArray(String[]::new)).get())) {
            for (Map<String, String> r : rows) {
                List<String> values = new ArrayList<>();
                for (String h : header) values.add(r.getOrDefault(h, ""));
                printer.printRecord(values);
            }
        }
        org.cottention.harness.io.AtomicFiles.writeString(out.resolve(e.name() + ".csv"), sb.toString());
        return rows;
    }
}
