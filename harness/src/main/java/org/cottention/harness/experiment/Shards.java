package org.cottention.harness.experiment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cottention.harness.io.AtomicFiles;
import org.cottention.harness.results.CsvTable;

/**
 * One configuration's rows: a shard {@code DIR/.runs/EXPERIMENT/KEY.csv}, the only file its run writes into the
 * shared results folder (besides its log and work files), so runs in parallel, local or on a cluster, never
 * write the same file. A shard counts as finished only with its completion marker {@code KEY.done} beside it,
 * written after the shard (both atomically, by rename), holding the shard's SHA-256, row count and the
 * configuration's parameters: a shard that was truncated, edited, written by an older version with other columns or
 * for other parameters (an experiment puts what its run depends on there, with a {@link #fingerprint} of its
 * recipe), or
 * whose marker is missing, is not finished, and its configuration runs again.
 */
final class Shards {
    private Shards() {}

    static final String MARKER_FORMAT = "cottention-shard-2";

    static Path csv(Path out, Experiment e, RunConfig c) {
        return out.resolve(".runs").resolve(e.name()).resolve(c.key() + ".csv");
    }

    static Path marker(Path out, Experiment e, RunConfig c) {
        return out.resolve(".runs").resolve(e.name()).resolve(c.key() + ".done");
    }

    static Path log(Path out, Experiment e, RunConfig c) {
        return out.resolve(".runs").resolve(e.name()).resolve(c.key() + ".log");
    }

    /** What a configuration's shard is: finished (rows usable), or not, and why not in a few words. */
    record State(boolean finished, boolean started, String why) {
        static final State FINISHED = new State(true, true, "finished");
        static final State MISSING = new State(false, false, "not run yet");

        static State damaged(String why) {
            return new State(false, true, why);
        }
    }

    /**
     * Writes one configuration's rows, then its marker. An old marker is removed first, so that a crash in
     * between leaves a shard without a marker (not finished), never an old marker beside a new shard.
     */
    static void write(Path out, Experiment e, RunConfig c, Profile profile, String backend, String executor, int jobs,
                      List<Map<String, Object>> rows) throws IOException {
        CsvTable t = new CsvTable(Experiments.columns(e));
        for (Map<String, Object> r : rows) {
            Map<String, Object> full = new LinkedHashMap<>();
            full.put("experiment", e.name());
            full.put("config", c.key());
            full.put("backend", backend);
            full.put("profile", profile.label());
            r.forEach((k, v) -> full.put(k, v instanceof Double d && !Double.isFinite(d) ? d.toString() : v));
            full.put("executor", executor);
            full.put("jobs", jobs);
            t.add(full);
        }
        byte[] content = t.toCsv().getBytes(StandardCharsets.UTF_8);
        Files.deleteIfExists(marker(out, e, c));
        AtomicFiles.write(csv(out, e, c), content);
        AtomicFiles.writeString(marker(out, e, c), MARKER_FORMAT + "\nsha256 " + sha256(content) + "\nrows " + rows.size()
                + "\nconfig " + settings(c) + "\n");
    }

    /** The configuration's parameters as one line, sorted by name: k=v;k=v. */
    static String settings(RunConfig c) {
        StringBuilder sb = new StringBuilder();
        new java.util.TreeMap<>(c.params()).forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ";").append(k).append('=').append(v));
        return sb.toString();
    }

    /** Checks a shard against its marker (reads the shard). */
    static State state(Path out, Experiment e, RunConfig c) {
        Path csv = csv(out, e, c), marker = marker(out, e, c);
        boolean hasCsv = Files.isRegularFile(csv), hasMarker = Files.isRegularFile(marker);
        if (!hasCsv && !hasMarker) return State.MISSING;
        if (!hasCsv) return State.damaged("its completion marker " + marker.getFileName() + " is there but the shard is not");
        if (!hasMarker) {
            return State.damaged("no completion marker " + marker.getFileName()
                    + " (interrupted while writing it, or the marker was deleted)");
        }
        try {
            Map<String, String> m = new LinkedHashMap<>();
            List<String> lines = Files.readAllLines(marker, StandardCharsets.UTF_8);
            if (!lines.isEmpty() && lines.get(0).startsWith("cottention-shard-") && !lines.get(0).equals(MARKER_FORMAT)) {
                return State.damaged("its marker " + marker.getFileName() + " is a " + lines.get(0) + " file, written "
                        + "by an older version that did not record the configuration's settings");
            }
            if (lines.isEmpty() || !lines.get(0).equals(MARKER_FORMAT)) {
                return State.damaged("its marker " + marker.getFileName() + " is not a " + MARKER_FORMAT + " file");
            }
            for (String line : lines.subList(1, lines.size())) {
                int sp = line.indexOf(' ');
                if (sp > 0) m.put(line.substring(0, sp), line.substring(sp + 1));
            }
            byte[] content = Files.readAllBytes(csv);
            if (!sha256(content).equals(m.get("sha256"))) {
                return State.damaged("its SHA-256 differs from the one in " + marker.getFileName()
                        + " (the shard was truncated or edited)");
            }
            String header = new String(content, StandardCharsets.UTF_8).lines().findFirst().orElse("");
            String expected = String.join(",", new CsvTable(Experiments.columns(e)).columns());
            if (!header.equals(expected)) {
                return State.damaged("it has other columns than this version writes (written by an older version)");
            }
            if (!settings(c).equals(m.get("config"))) {
                return State.damaged("it was made with other settings (" + marker.getFileName() + ": "
                        + m.getOrDefault("config", "none recorded") + "; now: " + settings(c) + ")");
            }
            return State.FINISHED;
        } catch (IOException | UncheckedIOException ex) {
            return State.damaged("cannot be read (" + ex.getMessage() + ")");
        }
    }

    /** The rows of an experiment's finished shards in configuration order, and the configurations without one. */
    record Merged(List<Map<String, String>> rows, List<String> missing) {}

    static Merged merged(Path out, Experiment e, Profile profile) throws IOException {
        List<Map<String, String>> rows = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (RunConfig c : e.configs(profile)) {
            State s = state(out, e, c);
            if (s.finished()) rows.addAll(Experiments.readCsv(csv(out, e, c)));
            else missing.add(Experiments.id(e, c) + " (" + s.why() + ")");
        }
        return new Merged(rows, missing);
    }

    /**
     * A 12-hex-digit fingerprint of the recipe fields a configuration's run depends on beyond its own parameters (sizes,
     * steps, batch, evaluation sets: what a profile fixes in code). Experiments put it in the configuration's
     * parameters as "recipe", so the marker records it and a shard made with another recipe runs again.
     */
    static String fingerprint(String fields) {
        return sha256(fields.getBytes(StandardCharsets.UTF_8)).substring(0, 12);
    }

    static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException("no SHA-256 in this JDK", ex);
        }
    }
}
