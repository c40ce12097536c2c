package org.cottention.harness.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The results checker accepts well-formed tables and names what is wrong in bad ones. */
class ResultsCheckTest {
    @TempDir
    Path dir;

    @Test
    void acceptsGoodTablesAndRejectsNaNMissingAttentionAndZeroMemory() throws Exception {
        for (Experiment e : Experiments.all()) {
            RunConfig c = e.configs(Profile.SMOKE).get(0);
            Experiments.writeRows(dir.resolve(e.name() + ".csv"), e, c, Profile.SMOKE, "cpu",
                    List.of(row(e, "cosine", 1.5), row(e, "softmax", 2.5)));
        }
        Claims.write(dir, Claims.evaluate(dir, Profile.SMOKE), Profile.SMOKE);
        Files.writeString(dir.resolve("README.md"), "x");
        assertEquals(List.of(), ResultsCheck.check(dir));

        Experiment first = Experiments.all().get(0);
        RunConfig c = first.configs(Profile.SMOKE).get(0);
        Experiments.writeRows(dir.resolve(first.name() + ".csv"), first, c, Profile.SMOKE, "cpu",
                List.of(row(first, "cosine", Double.NaN), row(first, "cosine", 0)));
        List<String> problems = ResultsCheck.check(dir);
        assertTrue(problems.stream().anyMatch(p -> p.contains("expected both cosine and softmax")), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.contains("expected > 0")), problems.toString());
        assertTrue(problems.stream().noneMatch(p -> p.contains("is NaN")), "NaN is written as an empty cell");
        Files.delete(dir.resolve("claims.csv"));
        assertTrue(ResultsCheck.check(dir).stream().anyMatch(p -> p.contains("claims.csv: missing")));
    }

    private static Map<String, Object> row(Experiment e, String attention, double value) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("attention", attention);
        r.put("status", "ok");
        for (String col : e.columns()) {
            if (col.endsWith("_ms") || col.endsWith("_mib")) r.put(col, value);
        }
        return r;
    }
}
