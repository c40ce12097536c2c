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
import org.cottention.harness.results.Column;
import org.cottention.harness.results.Provenance;

/** The experiments of the reproduction, in the order they run, their tables' schemas and their work folders. */
public final class Experiments {
    private Experiments() {}

    /** Columns every row of every table starts with: what identifies the row (attention none: a baseline row). */
    static final List<Column> STANDARD = List.of(Column.text("experiment").always(), Column.text("config").always(),
            Column.text("model").always(), Column.oneOf("attention", "cosine", "softmax", "none").always(),
            Column.text("implementation").always(), Column.oneOf("backend", "cpu", "cuda").always(),
            Column.text("shape").always(), Column.text("dtype").always(), Column.integer("seed").always(),
            Column.oneOf("profile", "smoke", "default", "long", "paper").always(), Column.status("status"));

    /**
     * Columns after the experiment's own: how the row was run. executor: {@code local}, or {@code slurm:ARRAY_TASK}
     * (the Slurm job that ran it, e.g. slurm:1234_5); jobs: how many configurations the local runner ran at once
     * (1: alone; more: the timing and memory columns were measured on a shared machine and compare only with
     * rows of the same jobs value); under Slurm the array's task limit, which bounds how many ran at once.
     */
    static final List<Column> RUN = List.of(Column.text("executor").always().varies(),
            Column.integer("jobs").positive().always().varies());

    public static final List<String> STANDARD_COLUMNS = Column.names(STANDARD);

    public static List<Experiment> all() {
        return List.of(new AttentionScalingExperiment(), new DecodingExperiment(), new BertExperiment(),
                new GptExperiment(), new StabilityExperiment(), new StabiliserExperiment(), new RecallExperiment());
    }

    public static Optional<Experiment> find(String name) {
        return all().stream().filter(e -> e.name().equals(name)).findFirst();
    }

    public static List<String> names() {
        return all().stream().map(Experiment::name).toList();
    }

    /** Every column of an experiment's table, in order: standard, its own, run, provenance (one place). */
    public static List<Column> schema(Experiment e) {
        List<Column> c = new ArrayList<>(STANDARD);
        for (Column col : e.columns()) {
            if (c.stream().noneMatch(x -> x.name().equals(col.name()))) c.add(col);
        }
        c.addAll(RUN);
        c.addAll(Provenance.schema());
        return c;
    }

    /** The column names of an experiment's table before the provenance columns (which CsvTable appends). */
    public static List<String> columns(Experiment e) {
        List<String> names = new ArrayList<>(Column.names(schema(e)));
        names.removeAll(Column.names(Provenance.schema()));
        return names;
    }

    /** Files an experiment's configurations share (checkpoints, curves): out/.runs/experiment/work. */
    public static Path workDir(Path out, Experiment e) {
        return out.resolve(".runs").resolve(e.name()).resolve("work");
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

    /** "experiment/key": how a configuration is named across experiments (RunConfig.after, messages). */
    static String id(Experiment e, RunConfig c) {
        return e.name() + "/" + c.key();
    }
}
