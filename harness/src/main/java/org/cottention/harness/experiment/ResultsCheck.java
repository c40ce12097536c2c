package org.cottention.harness.experiment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import org.cottention.harness.results.Column;

/**
 * {@code ./cottention check-results --dir DIR}: checks a reproduction's tables against their schemas ({@link
 * Experiments#schema}, one place): every experiment's CSV present with exactly its columns; every value of its
 * column's type (numbers parse and are finite, enumerations hold one of their values, status is ok or
 * skipped: REASON); every value a row with status ok needs is there (a NaN or an empty measurement fails); times,
 * memory and rates positive; every configuration of the profile present with as many rows as it writes where
 * that is fixed; both attentions where the experiment compares them; claims.csv and README.md written.
 * With {@link #compare}, two folders of the same profile must hold the same rows with equal results: only the
 * columns a schema marks as varying (timing, memory, provenance) may differ. CI runs both.
 */
public final class ResultsCheck {
    private ResultsCheck() {}

    /** Every problem found in DIR's tables (none: they pass). */
    public static List<String> check(Path dir) throws IOException {
        List<String> problems = new ArrayList<>();
        for (Experiment e : Experiments.all()) {
            Path csv = dir.resolve(e.name() + ".csv");
            if (!Files.isRegularFile(csv)) {
                problems.add(csv + ": missing");
                continue;
            }
            List<Map<String, String>> rows;
            try {
                rows = Experiments.readCsv(csv);
            } catch (IOException | UncheckedIOException | IllegalStateException | IllegalArgumentException ex) {
                problems.add(csv + ": not a readable CSV table (" + ex.getMessage() + ")");
                continue;
            }
            problems.addAll(checkTable(csv, e, rows));
        }
        Path claims = dir.resolve("claims.csv");
        if (!Files.isRegularFile(claims)) problems.add(claims + ": missing");
        else {
            List<Map<String, String>> rows = Experiments.readCsv(claims);
            for (int i = 1; i <= 11; i++) {
                String number = Integer.toString(i);
                if (rows.stream().noneMatch(r -> r.getOrDefault("claim", "").matches(number + "[a-z]?"))) {
                    problems.add(claims + ": no row for the paper's claim " + number);
                }
            }
        }
        if (!Files.isRegularFile(dir.resolve("README.md"))) problems.add(dir.resolve("README.md") + ": missing");
        return problems;
    }

    static List<String> checkTable(Path csv, Experiment e, List<Map<String, String>> rows) {
        List<String> problems = new ArrayList<>();
        if (rows.isEmpty()) return List.of(csv + ": no rows");
        List<Column> schema = Experiments.schema(e);
        List<String> expected = Column.names(schema);
        List<String> header = new ArrayList<>(rows.get(0).keySet());
        if (!header.equals(expected)) {
            List<String> missing = expected.stream().filter(c -> !header.contains(c)).toList();
            List<String> extra = header.stream().filter(c -> !expected.contains(c)).toList();
            return List.of(csv + ": its columns differ from the schema: " + (missing.isEmpty() && extra.isEmpty()
                    ? "the same columns in another order" : (missing.isEmpty() ? "" : "missing " + missing)
                    + (!missing.isEmpty() && !extra.isEmpty() ? ", " : "") + (extra.isEmpty() ? "" : "not in it " + extra))
                    + " (written by another version? rerun the experiment)");
        }
        Set<String> attentions = new TreeSet<>(), profiles = new TreeSet<>();
        Map<String, Integer> perConfig = new LinkedHashMap<>();
        for (int i = 0; i < rows.size(); i++) {
            Map<String, String> r = rows.get(i);
            String where = csv.getFileName() + " line " + (i + 2) + " (config " + r.get("config") + "): ";
            if (r.size() != expected.size() || r.values().stream().anyMatch(v -> v == null)) {
                problems.add(where + "has " + r.size() + " values for " + expected.size() + " columns");
                continue;
            }
            for (Column c : schema) c.problem(r).ifPresent(p -> problems.add(where + p));
            attentions.add(r.get("attention"));
            profiles.add(r.get("profile"));
            perConfig.merge(r.get("config"), 1, Integer::sum);
        }
        if (rows.stream().noneMatch(r -> Column.OK.equals(r.get("status")))) problems.add(csv + ": no row ran (status ok)");
        if (e.comparesAttentions() && !attentions.containsAll(List.of("cosine", "softmax"))) {
            problems.add(csv + ": attentions present " + attentions + ", expected both cosine and softmax");
        }
        if (profiles.size() != 1) {
            problems.add(csv + ": rows of profiles " + profiles + ", expected one");
            return problems;
        }
        Profile profile;
        try {
            profile = Profile.parse(profiles.iterator().next());
        } catch (IllegalArgumentException ex) {
            return problems;   // reported per row
        }
        Map<String, RunConfig> configs = new LinkedHashMap<>();
        for (RunConfig c : e.configs(profile)) configs.put(c.key(), c);
        for (String key : perConfig.keySet()) {
            if (!configs.containsKey(key)) problems.add(csv + ": config " + key + " is not one of the " + profile.label() + " profile's");
        }
        List<String> missing = configs.keySet().stream().filter(k -> !perConfig.containsKey(k)).toList();
        if (!missing.isEmpty()) {
            problems.add(csv + ": " + missing.size() + " of the " + configs.size() + " configurations of the "
                    + profile.label() + " profile have no rows: " + String.join(", ", missing));
        }
        for (RunConfig c : configs.values()) {
            OptionalInt want = e.expectedRows(c, profile);
            Integer got = perConfig.get(c.key());
            if (got != null && want.isPresent() && got != want.getAsInt()) {
                problems.add(csv + ": config " + c.key() + " has " + got + " rows, expected " + want.getAsInt());
            }
        }
        return problems;
    }

    /**
     * Differences between two folders' tables that results may not have: other columns, other rows (by
     * configuration, in order), or another value in a column the schema does not mark as varying.
     */
    public static List<String> compare(Path dir, Path other) throws IOException {
        List<String> problems = new ArrayList<>();
        for (Experiment e : Experiments.all()) {
            Path a = dir.resolve(e.name() + ".csv"), b = other.resolve(e.name() + ".csv");
            if (!Files.isRegularFile(a) || !Files.isRegularFile(b)) {
                if (Files.isRegularFile(a) != Files.isRegularFile(b)) {
                    problems.add(e.name() + ".csv: in only one of " + dir + " and " + other);
                }
                continue;
            }
            List<Map<String, String>> ra = Experiments.readCsv(a), rb = Experiments.readCsv(b);
            if (!ra.isEmpty() && !rb.isEmpty() && !ra.get(0).keySet().equals(rb.get(0).keySet())) {
                problems.add(e.name() + ".csv: the columns differ: " + ra.get(0).keySet() + " vs " + rb.get(0).keySet());
                continue;
            }
            List<String> ka = ra.stream().map(r -> r.get("config")).toList(), kb = rb.stream().map(r -> r.get("config")).toList();
            if (!ka.equals(kb)) {
                problems.add(e.name() + ".csv: other rows: " + ka.size() + " rows (" + new TreeSet<>(ka).size()
                        + " configurations) vs " + kb.size() + " (" + new TreeSet<>(kb).size() + ")");
                continue;
            }
            int shown = 0;
            for (int i = 0; i < ra.size(); i++) {
                for (Column c : Experiments.schema(e)) {
                    if (c.varying()) continue;
                    String x = ra.get(i).get(c.name()), y = rb.get(i).get(c.name());
                    if (!java.util.Objects.equals(x, y) && shown++ < 20) {
                        problems.add(e.name() + ".csv line " + (i + 2) + " (config " + ka.get(i) + "): " + c.name()
                                + " = '" + x + "' vs '" + y + "'");
                    }
                }
            }
            if (shown > 20) problems.add(e.name() + ".csv: " + (shown - 20) + " more differing values");
        }
        return problems;
    }
}
