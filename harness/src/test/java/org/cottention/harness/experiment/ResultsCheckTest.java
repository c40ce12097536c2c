package org.cottention.harness.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.cottention.harness.results.Column;
import org.cottention.harness.results.Provenance;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The results check holds tables to their schemas: it accepts well-formed smoke tables (every configuration,
 * the right row counts, a valid value in every column) and names each kind of bad input in one line.
 */
class ResultsCheckTest {
    @TempDir
    Path dir;

    /** Valid smoke-profile tables, built from the schemas: every configuration with its number of rows. */
    static Map<String, List<Map<String, String>>> validTables() {
        Map<String, List<Map<String, String>>> tables = new LinkedHashMap<>();
        for (Experiment e : Experiments.all()) {
            List<Map<String, String>> rows = new ArrayList<>();
            for (RunConfig c : e.configs(Profile.SMOKE)) {
                int n = e.expectedRows(c, Profile.SMOKE).orElse(1);
                for (int i = 0; i < n; i++) {
                    Map<String, String> r = new LinkedHashMap<>();
                    for (Column col : Experiments.schema(e)) {
                        r.put(col.name(), switch (col.type()) {
                            case INTEGER -> "3";
                            case NUMBER -> "1.5";
                            case STATUS -> "ok";
                            case ONE_OF -> col.values().stream().sorted().findFirst().orElseThrow();
                            case TEXT -> "x";
                        });
                    }
                    r.put("experiment", e.name());
                    r.put("config", c.key());
                    r.put("profile", "smoke");
                    r.put("attention", rows.size() % 2 == 0 ? "cosine" : "softmax");
                    r.put("git_dirty", "false");
                    if (e.name().equals("bert")) {
                        String phase = c.get("phase");
                        r.put("phase", phase.equals("bow") ? "baseline" : phase.equals("unigram") || i == 0 ? phase
                                : phase + "-curve");
                    }
                    if (e.name().equals("gpt")) r.put("phase", i == n - 1 ? "final" : "curve");
                    rows.add(r);
                }
            }
            tables.put(e.name(), rows);
        }
        return tables;
    }

    static void write(Path file, List<Map<String, String>> rows) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (CSVPrinter p = new CSVPrinter(sb, CSVFormat.DEFAULT.builder().setHeader(rows.get(0).keySet().toArray(String[]::new)).get())) {
            for (Map<String, String> r : rows) p.printRecord(r.values());
        }
        Files.writeString(file, sb);
    }

    @BeforeEach
    void writeValidTables() throws IOException {
        validTables().forEach((e, rows) -> {
            try {
                write(dir.resolve(e + ".csv"), rows);
            } catch (IOException ex) {
                throw new IllegalStateException(ex);
            }
        });
        StringBuilder claims = new StringBuilder("claim,statement,paper_evidence,our_evidence,verdict\n");
        for (int i = 1; i <= 11; i++) claims.append(i).append(",s,p,o,v\n");
        Files.writeString(dir.resolve("claims.csv"), claims);
        Files.writeString(dir.resolve("README.md"), "x");
    }

    /** The check's problems after a change to one experiment's valid table (which is then restored). */
    private List<String> problemsAfter(String experiment, Consumer<List<Map<String, String>>> change) throws IOException {
        List<Map<String, String>> rows = validTables().get(experiment);
        change.accept(rows);
        write(dir.resolve(experiment + ".csv"), rows);
        List<String> problems = ResultsCheck.check(dir);
        write(dir.resolve(experiment + ".csv"), validTables().get(experiment));
        return problems;
    }

    private static void assertOneProblem(List<String> problems, String expected) {
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains(expected), problems.get(0));
    }

    @Test
    void acceptsValidTables() throws IOException {
        assertEquals(List.of(), ResultsCheck.check(dir));
    }

    @Test
    void ourClaimsDoNotStandInForThePapers() throws IOException {
        String claims = Files.readString(dir.resolve("claims.csv"));
        Files.writeString(dir.resolve("claims.csv"), claims.replace("\n1,s,p,o,v\n", "\nR1a,s,p,o,v\n"));
        assertOneProblem(ResultsCheck.check(dir), "no row for the paper's claim 1");
        Files.writeString(dir.resolve("claims.csv"), claims.replace("\n1,s,p,o,v\n", "\n1b,s,p,o,v\n"));
        assertEquals(List.of(), ResultsCheck.check(dir));
    }

    @Test
    void provenanceSchemaNamesTheProvenanceColumns() {
        assertEquals(List.copyOf(Provenance.columns().keySet()), Column.names(Provenance.schema()));
    }

    @Test
    void rejectsANonNumericValueInANumericColumn() throws IOException {
        assertOneProblem(problemsAfter("bert", rows -> rows.stream().filter(r -> r.get("config").equals("pretrain-cosine"))
                        .findFirst().orElseThrow().put("train_loss", "abc")),
                "(config pretrain-cosine): train_loss = 'abc', expected a number");
        assertOneProblem(problemsAfter("gpt", rows -> rows.get(3).put("step", "1.5")), "step = '1.5', expected a whole number");
        assertOneProblem(problemsAfter("decoding", rows -> rows.get(0).put("state_mib", "0x10")), "expected a number");
    }

    @Test
    void rejectsNaNOrAnEmptyMeasurementInAnOkRow() throws IOException {
        assertOneProblem(problemsAfter("attention_scaling", rows -> rows.get(0).put("median_ms", "NaN")), "median_ms is NaN");
        assertOneProblem(problemsAfter("attention_scaling", rows -> rows.get(0).put("alloc_mib", "")),
                "alloc_mib is empty in a row with status ok");
        assertOneProblem(problemsAfter("bert", rows -> rows.stream().filter(r -> r.get("phase").equals("finetune"))
                .findFirst().orElseThrow().put("matthews", "")), "matthews is empty");
        // Not required there: a pretraining row has no F1, a softmax row no sigma(m), a curve row no perplexity.
        assertEquals(List.of(), problemsAfter("bert", rows -> {
            rows.get(0).put("phase", "pretrain");
            rows.get(0).put("f1", "");
            rows.get(1).put("attention", "softmax");
            rows.get(1).put("sigma_m_mean", "");
        }));
        assertEquals(List.of(), problemsAfter("gpt", rows -> {
            rows.get(0).put("phase", "curve");
            rows.get(0).put("test_bits_per_byte", "");
        }));
        assertOneProblem(problemsAfter("gpt", rows -> rows.get(1).put("test_bits_per_byte", "")), "test_bits_per_byte is empty");
        // A diverged run is an outcome: its row keeps its identity, its measurements may be missing.
        assertEquals(List.of(), problemsAfter("gpt", rows -> {
            rows.get(0).put("status", "diverged: loss NaN at step 7");
            rows.get(0).put("test_bits_per_byte", "");
        }));
        // A skipped row has no measurements, but still its identity.
        assertEquals(List.of(), problemsAfter("attention_scaling", rows -> {
            rows.get(0).put("status", "skipped: needs about 32.5 GiB, 23.0 GiB available");
            rows.get(0).put("median_ms", "");
        }));
        assertOneProblem(problemsAfter("attention_scaling", rows -> {
            rows.get(0).put("status", "skipped: too big");
            rows.get(0).put("length", "");
        }), "length is empty");
    }

    @Test
    void rejectsValuesOutsideTheirEnumerationAndZeroMemory() throws IOException {
        assertOneProblem(problemsAfter("gpt", rows -> rows.get(0).put("status", "done")),
                "status = 'done', expected 'ok', 'skipped: REASON' or 'diverged: REASON'");
        assertOneProblem(problemsAfter("gpt", rows -> rows.get(0).put("status", "skipped: ")), "expected 'ok', 'skipped: REASON'");
        assertOneProblem(problemsAfter("decoding", rows -> rows.get(0).put("backend", "tpu")),
                "backend = 'tpu', expected one of [cpu, cuda]");
        assertOneProblem(problemsAfter("decoding", rows -> rows.get(0).put("state_mib", "0")), "state_mib = '0', expected > 0");
        assertOneProblem(problemsAfter("decoding", rows -> rows.get(0).put("threads", "two")), "threads = 'two'");
    }

    @Test
    void countsRowsAndConfigurationsPerProfile() throws IOException {
        int heads = validTables().get("stabiliser").stream().filter(r -> r.get("config").equals("gpt-cosine")).toList().size();
        assertOneProblem(problemsAfter("stabiliser", rows -> rows.remove(rows.stream().filter(r -> r.get("config")
                .equals("gpt-cosine")).findFirst().orElseThrow())), "config gpt-cosine has " + (heads - 1) + " rows, expected " + heads);
        assertOneProblem(problemsAfter("bert", rows -> rows.removeIf(r -> r.get("config").equals("pretrain-softmax"))),
                "1 of the 9 configurations of the smoke profile have no rows: pretrain-softmax");
        List<String> renamed = problemsAfter("bert", rows -> rows.stream().filter(r -> r.get("config").equals("pretrain-cosine"))
                .forEach(r -> r.put("config", "pretrain-linear")));
        assertEquals(2, renamed.size(), renamed.toString());
        assertTrue(renamed.get(0).contains("config pretrain-linear is not one of the smoke profile's"), renamed.toString());
        assertTrue(renamed.get(1).contains("have no rows: pretrain-cosine"), renamed.toString());
    }

    @Test
    void rejectsOtherColumnsBothAttentionsMissingAndMissingFiles() throws IOException {
        assertOneProblem(problemsAfter("decoding", rows -> rows.forEach(r -> r.put("attention", "cosine"))),
                "expected both cosine and softmax");
        assertOneProblem(problemsAfter("decoding", rows -> rows.forEach(r -> r.remove("window"))),
                "its columns differ from the schema: missing [window]");
        Files.writeString(dir.resolve("stabiliser.csv"), "experiment,config\n\"stabiliser,bert-cosine\n");
        assertOneProblem(ResultsCheck.check(dir), "stabiliser.csv: not a readable CSV table");
        Files.delete(dir.resolve("stabiliser.csv"));
        Files.delete(dir.resolve("claims.csv"));
        List<String> problems = ResultsCheck.check(dir);
        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.get(0).endsWith("stabiliser.csv: missing") && problems.get(1).endsWith("claims.csv: missing"), problems.toString());
    }

    @Test
    void compareAllowsOnlyTimingAndProvenanceToDiffer(@TempDir Path other) throws IOException {
        for (String f : new String[] {"claims.csv", "README.md"}) Files.copy(dir.resolve(f), other.resolve(f));
        validTables().forEach((e, rows) -> {
            rows.forEach(r -> {
                r.put("timestamp", "2026-12-01T00:00:00Z");
                r.put("executor", "slurm:12_0");
                if (r.containsKey("tokens_per_s")) r.put("tokens_per_s", "99");
            });
            try {
                write(other.resolve(e + ".csv"), rows);
            } catch (IOException ex) {
                throw new IllegalStateException(ex);
            }
        });
        assertEquals(List.of(), ResultsCheck.compare(dir, other));
        List<Map<String, String>> gpt = validTables().get("gpt");
        gpt.get(3).put("train_loss", "1.6");
        write(other.resolve("gpt.csv"), gpt);
        assertOneProblem(ResultsCheck.compare(dir, other), "gpt.csv line 5 (config " + gpt.get(3).get("config")
                + "): train_loss = '1.5' vs '1.6'");
        gpt.remove(3);
        write(other.resolve("gpt.csv"), gpt);
        assertOneProblem(ResultsCheck.compare(dir, other), "gpt.csv: other rows");
    }
}
