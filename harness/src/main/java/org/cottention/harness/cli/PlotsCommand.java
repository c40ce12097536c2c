package org.cottention.harness.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.cottention.harness.CliException;
import org.cottention.harness.experiment.Experiment;
import org.cottention.harness.experiment.Experiments;
import org.cottention.harness.experiment.Profile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./cottention plots --dir DIR}: redraws the figures (PNG and SVG) of a reproduction from the tables it
 * already has, DIR/EXPERIMENT.csv, by calling each experiment's report, without running anything. Every table is
 * read and checked before the first figure is drawn. DIR/README.md is left as it is.
 */
@Command(name = "plots", description = "redraws a reproduction's figures (PNG + SVG) from its tables, without rerunning",
        footerHeading = "%n",
        footer = "Redraws DIR's figures (NAME.png and NAME.svg) from DIR/EXPERIMENT.csv without rerunning anything, e.g."
                + " ./cottention plots --dir results/default. DIR/README.md is left as it is.")
public final class PlotsCommand implements Callable<Integer> {
    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "a reproduction's folder")
    Path dir;
    @Option(names = "--profile", paramLabel = "P", description = "the profile the tables come from (default: ${DEFAULT-VALUE})")
    String profileName = "default";
    @Option(names = "--only", paramLabel = "EXPERIMENT,...", description = "these experiments' figures only")
    String only;

    private final PrintStream out;

    public PlotsCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new CliException("plots: --dir " + dir + ": no such folder; give a reproduction's folder, e.g. results/default");
        }
        Profile profile;
        try {
            profile = Profile.parse(profileName);
        } catch (IllegalArgumentException e) {
            throw new CliException("plots: --profile: " + e.getMessage());
        }
        List<Experiment> selected = new ArrayList<>();
        if (only == null) {
            selected.addAll(Experiments.all());
        } else {
            for (String n : only.split(",")) {
                selected.add(Experiments.find(n.trim()).orElseThrow(() -> new CliException("plots: unknown experiment '"
                        + n.trim() + "' in --only; experiments: " + String.join(", ", Experiments.names()))));
            }
        }
        Map<Experiment, List<Map<String, String>>> tables = new LinkedHashMap<>();
        for (Experiment e : selected) {
            Path csv = dir.resolve(e.name() + ".csv");
            if (!Files.isRegularFile(csv)) {
                if (only != null) throw new CliException("plots: " + csv + ": no such table; run "
                        + "./reproduce.sh --only " + e.name() + " first");
                continue;
            }
            tables.put(e, read(csv, e));
        }
        if (tables.isEmpty()) {
            throw new CliException("plots: " + dir + " holds none of the tables " + String.join(", ",
                    Experiments.names().stream().map(n -> n + ".csv").toList()) + "; run ./reproduce.sh first");
        }
        for (Map.Entry<Experiment, List<Map<String, String>>> t : tables.entrySet()) {
            Experiment e = t.getKey();
            Map<Path, FileTime> before = figures(dir);
            try {
                e.report(profile, dir, dir, t.getValue());
            } catch (NumberFormatException x) {
                throw new CliException("plots: " + dir.resolve(e.name() + ".csv") + ": a value the figures need is "
                        + "missing or not a number (" + x.getMessage() + "); regenerate it with ./reproduce.sh --only "
                        + e.name());
            } catch (IOException | RuntimeException x) {
                throw x;
            } catch (Exception x) {
                throw new IOException(x);
            }
            List<String> drawn = figures(dir).entrySet().stream()
                    .filter(f -> !f.getValue().equals(before.get(f.getKey())))
                    .map(f -> f.getKey().getFileName().toString()).sorted().toList();
            if (drawn.isEmpty()) {
                out.println("plots: " + e.name() + ": drew nothing (the table has none of the rows its figures draw); "
                        + "existing figures left as they are");
            } else {
                long png = drawn.stream().filter(f -> f.endsWith(".png")).count();
                out.println("plots: " + e.name() + ": " + png + " figure" + (png == 1 ? "" : "s") + " (PNG + SVG): "
                        + String.join(", ", drawn.stream().filter(f -> f.endsWith(".png"))
                        .map(f -> f.substring(0, f.length() - 4)).toList()));
            }
        }
        out.println("plots: done; figures in " + dir);
        return 0;
    }

    /** The table's rows, checked to hold the experiment's own columns (what its report reads). */
    private static List<Map<String, String>> read(Path csv, Experiment e) {
        List<Map<String, String>> rows;
        try {
            rows = Experiments.readCsv(csv);
        } catch (IOException | RuntimeException x) {
            throw new CliException("plots: " + csv + ": not a readable CSV table (" + x.getMessage()
                    + "); regenerate it with ./reproduce.sh --only " + e.name());
        }
        if (rows.isEmpty()) throw new CliException("plots: " + csv + ": no rows; regenerate it with ./reproduce.sh --only " + e.name());
        List<String> missing = Experiments.columns(e).stream().filter(c -> !rows.get(0).containsKey(c)).toList();
        if (!missing.isEmpty()) {
            throw new CliException("plots: " + csv + ": lacks the columns " + missing + " of the " + e.name()
                    + " table; regenerate it with ./reproduce.sh --only " + e.name());
        }
        return rows;
    }

    /** DIR's figure files and their modification times. */
    private static Map<Path, FileTime> figures(Path dir) throws IOException {
        Map<Path, FileTime> m = new HashMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.toString().endsWith(".png") || p.toString().endsWith(".svg")).toList()) {
                m.put(p, Files.getLastModifiedTime(p));
            }
        } catch (UncheckedIOException x) {
            throw x.getCause();
        }
        return m;
    }
}
