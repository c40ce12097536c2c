package org.cottention.harness.experiment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.cottention.harness.results.Provenance;

/**
 * {@code ./cottention check-results DIR}: checks a reproduction's tables against their schemas and for basic
 * sanity: every experiment's CSV present with exactly its documented columns, no NaN or infinity anywhere,
 * every time and memory figure present positive, both attentions present where the experiment compares them,
 * at least one row that ran, claims.csv and README.md written.
 * CI runs it on the smoke profile's output.
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
            List<Map<String, String>> rows = Experiments.readCsv(csv);
            List<String> expected = new ArrayList<>(Experiments.columns(e));
            expected.addAll(Provenance.columns().keySet());
            if (rows.isEmpty()) {
                problems.add(csv + ": no rows");
                continue;
            }
            if (!new ArrayList<>(rows.get(0).keySet()).equals(expected)) {
                problems.add(csv + ": columns " + rows.get(0).keySet() + " differ from the schema " + expected);
            }
            if (rows.stream().noneMatch(r -> "ok".equals(r.get("status")))) problems.add(csv + ": no row ran (status ok)");
            Set<String> attentions = new TreeSet<>();
            for (int i = 0; i < rows.size(); i++) {
                Map<String, String> r = rows.get(i);
                attentions.add(r.get("attention"));
                for (Map.Entry<String, String> c : r.entrySet()) {
                    String v = c.getValue().toLowerCase();
                    if (v.equals("nan") || v.contains("infinity")) {
                        problems.add(csv + " row " + (i + 1) + ": " + c.getKey() + " is " + c.getValue());
                    }
                    boolean measure = c.getKey().endsWith("_ms") || c.getKey().endsWith("_mib");
                    if (measure && "ok".equals(r.get("status")) && !c.getValue().isEmpty()) {
                        if (Double.parseDouble(c.getValue()) <= 0) {
                            problems.add(csv + " row " + (i + 1) + ": " + c.getKey() + " = '" + c.getValue()
                                    + "', expected > 0");
                        }
                    }
                }
            }
            if (e.comparesAttentions() && !attentions.containsAll(List.of("cosine", "softmax"))) {
                problems.add(csv + ": attentions present " + attentions + ", expected both cosine and softmax");
            }
        }
        Path claims = dir.resolve("claims.csv");
        if (!Files.isRegularFile(claims)) problems.add(claims + ": missing");
        else {
            List<Map<String, String>> rows = Experiments.readCsv(claims);
            for (int i = 1; i <= 11; i++) {
                String number = Integer.toString(i);
                if (rows.stream().noneMatch(r -> r.getOrDefault("claim", "").replaceAll("[^0-9]", "").equals(number))) {
                    problems.add(claims + ": no row for the paper's claim " + number);
                }
            }
        }
        if (!Files.isRegularFile(dir.resolve("README.md"))) problems.add(dir.resolve("README.md") + ": missing");
        return problems;
    }
}
