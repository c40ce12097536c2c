package org.cottention.harness.experiment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.cottention.api.Attention;
import org.cottention.api.AttentionGradients;
import org.cottention.api.AttentionInput;
import org.cottention.api.Nd;
import org.cottention.cosine.ChunkedCausalCosineAttention;
import org.cottention.harness.attention.AttentionRegistry;
import org.cottention.harness.results.CsvTable;
import org.cottention.reference.Gradients;
import org.cottention.reference.RandomTensors;
import org.cottention.reference.ReferenceCosineAttention;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The claims table (claims.csv and a README section): one row per claim of the paper (paper-spec §10) and of ours,
 * each with its test, n, estimate, 95 % interval, threshold and verdict. Every experiment judges the claims its
 * rows bear on ({@link Experiment#claims}); the rows that rest on no single experiment are here (9, 10, 11).
 */
final class Claims {
    private Claims() {}

    static final List<String> COLUMNS = List.of("claim", "statement", "test", "n", "estimate", "ci_low", "ci_high",
            "threshold", "verdict", "paper_evidence", "our_evidence");

    static List<Claim> evaluate(Path dir, Profile profile) throws IOException {
        Map<String, List<Map<String, String>>> tables = new LinkedHashMap<>();
        for (Experiment e : Experiments.all()) tables.put(e.name(), read(dir, e.name()));
        List<Claim> out = new ArrayList<>();
        for (Experiment e : Experiments.all()) out.addAll(e.claims(profile, tables));
        out.add(exactGradients(dir));
        out.add(extraParameters(tables.get("bert"), tables.get("gpt")));
        out.add(new Claim("11", "Training cost: BERT ~5 days, GPT-J ~13 days on 8 A100-80GB", "paper 6",
                "not run: the paper's sizes", 0, Double.NaN, Double.NaN, Double.NaN, "", Verdict.NOT_TESTABLE,
                "a 2-core CPU cannot train these sizes; the paper profile prints its estimate (./reproduce.sh --profile paper)"));
        if (profile == Profile.SMOKE) {    // a few steps of toy models: no claim that rests on training is judged
            out.replaceAll(c -> TRAINING_CLAIMS.matcher(c.id()).matches() && c.verdict() != Verdict.NOT_MEASURED
                    ? c.withVerdict(Verdict.NOT_TESTABLE, "not judged in the smoke profile (a few steps of toy models)") : c);
        }
        out.sort(Comparator.comparing(Claim::sortKey));
        return out;
    }

    /** The claims whose verdicts rest on trained models: the paper's 1-4 and all of ours. */
    static final java.util.regex.Pattern TRAINING_CLAIMS = java.util.regex.Pattern.compile("[1-4][a-z]?|R.*");

    static void write(Path dir, List<Claim> claims, Profile profile) throws IOException {
        CsvTable t = new CsvTable(COLUMNS);
        for (Claim c : claims) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("claim", c.id());
            row.put("statement", c.statement());
            row.put("test", c.test());
            row.put("n", c.n());
            row.put("estimate", c.estimate());
            row.put("ci_low", c.low());
            row.put("ci_high", c.high());
            row.put("threshold", c.threshold());
            row.put("verdict", c.verdict().label(profile));
            row.put("paper_evidence", c.paperEvidence());
            row.put("our_evidence", c.evidence());
            t.add(row);
        }
        t.write(dir.resolve("claims.csv"));
    }

    static String markdown(List<Claim> claims, Profile profile) {
        StringBuilder sb = new StringBuilder("| # | claim | test (n) | estimate [95 % interval] | threshold | verdict | "
                + "our evidence | paper's evidence |\n|---|---|---|---|---|---|---|---|\n");
        for (Claim c : claims) {
            String est = Double.isNaN(c.estimate()) ? "" : Double.isNaN(c.low())
                    ? String.format(Locale.ROOT, "%.4g", c.estimate())
                    : String.format(Locale.ROOT, "%.4g [%.4g, %.4g]", c.estimate(), c.low(), c.high());
            sb.append("| ").append(c.id()).append(" | ").append(c.statement()).append(" | ").append(c.test())
                    .append(c.n() > 0 ? " (n = " + c.n() + ")" : "").append(" | ").append(est).append(" | ")
                    .append(c.threshold()).append(" | **").append(c.verdict().label(profile)).append("** | ")
                    .append(c.evidence()).append(" | ").append(c.paperEvidence()).append(" |\n");
        }
        return sb.toString();
    }

    private static List<Map<String, String>> read(Path dir, String experiment) throws IOException {
        Path f = dir.resolve(experiment + ".csv");
        return Files.isRegularFile(f) ? Experiments.readCsv(f) : List.of();
    }

    /**
     * Claim 9, measured here: the chunked kernel against the double-precision reference, forward and all gradients;
     * and what the CUDA kernel's run on a GPU wrote to results/gpu/validation.csv, if it has run.
     */
    static Claim exactGradients(Path dir) throws IOException {
        String claim = "The kernel computes forward and all gradients exactly; gradients are three forward-type passes";
        String paper = "paper 4 (algebra verified in paper-spec)";
        Random rng = new Random(10);
        double worst = 0;
        int cases = 0;
        for (int s : new int[] {1, 37, 130}) {
            for (int d : new int[] {7, 64}) {
                double[][][][] q = RandomTensors.normal(rng, 2, 2, s, d), k = RandomTensors.normal(rng, 2, 2, s, d);
                double[][][][] v = RandomTensors.normal(rng, 2, 2, s, d), g = RandomTensors.normal(rng, 2, 2, s, d);
                double[][] mask = RandomTensors.rightPadded(rng, 2, s);
                double[] m = RandomTensors.stabilizer(rng, 2);
                Attention att = AttentionRegistry.find(ChunkedCausalCosineAttention.NAME).orElseThrow().create(true, 16);
                var in = new AttentionInput(Nd.fromArray4(q, DataType.DOUBLE), Nd.fromArray4(k, DataType.DOUBLE),
                        Nd.fromArray4(v, DataType.DOUBLE), Nd.fromArray2(mask, DataType.DOUBLE), Nd.fromDoubles(m, DataType.DOUBLE, 2));
                var f = att.forward(in);
                AttentionGradients gr = att.backward(f, Nd.fromArray4(g, DataType.DOUBLE));
                Gradients ref = ReferenceCosineAttention.backward(true, q, k, v, mask, m, g);
                worst = Math.max(worst, RandomTensors.relativeError(Nd.toArray4(f.output()),
                        ReferenceCosineAttention.forward(true, q, k, v, mask, m)));
                worst = Math.max(worst, RandomTensors.relativeError(Nd.toArray4(gr.dq()), ref.dq()));
                worst = Math.max(worst, RandomTensors.relativeError(Nd.toArray4(gr.dk()), ref.dk()));
                worst = Math.max(worst, RandomTensors.relativeError(Nd.toArray4(gr.dv()), ref.dv()));
                worst = Math.max(worst, RandomTensors.relativeError(Nd.toDoubles(gr.dm()), ref.dm()));
                cases++;
            }
        }
        String ev = String.format(Locale.ROOT, "our chunked kernel vs the float64 reference (itself checked by finite "
                + "differences), %d cases with padding, s not a multiple of C, d = 7 and 64: worst relative error "
                + "%.1e over output, dq, dk, dv, dm; the CUDA kernel on a GPU: %s", cases, worst, gpuValidation(dir));
        return new Claim("9", claim, paper, "worst relative error against the float64 reference, " + cases + " cases",
                cases, worst, Double.NaN, Double.NaN, "< 1e-10 (float64)", Verdict.threshold(worst, worst < 1e-10), ev);
    }

    /** What results/gpu/validation.csv (next to the results folder, or in the repository) says, in words. */
    static String gpuValidation(Path dir) throws IOException {
        for (Path gpu : new Path[] {dir.resolveSibling("gpu"), Path.of(System.getProperty("cottention.root", "."), "results",
                "gpu")}) {
            Path v = gpu.resolve("validation.csv");
            if (!Files.isRegularFile(v)) continue;
            List<Map<String, String>> rows = Experiments.readCsv(v);
            long passed = rows.stream().filter(r -> "true".equals(r.get("pass"))).count();
            Path d = gpu.resolve("device.csv");
            String device = Files.isRegularFile(d) ? Experiments.readCsv(d).stream()
                    .filter(r -> "name".equals(r.get("key"))).map(r -> r.get("value")).findFirst().orElse("?") : "?";
            return String.format(Locale.ROOT, "%d of %d validations passed on %s (%s)", passed, rows.size(), device, v);
        }
        return "not yet run on one (no results/gpu/validation.csv; scripts/gpu-check.sh on a lent GPU writes it)";
    }

    /** Claim 10: parameter counts of the cosine and softmax models differ by exactly layers x heads. */
    static Claim extraParameters(List<Map<String, String>> bert, List<Map<String, String>> gpt) {
        String claim = "Drop-in replacement: only the attention changes; +heads x layers parameters";
        String paper = "paper 3.3, 6 (320 extra for the 20-layer, 16-head GPT)";
        StringBuilder ev = new StringBuilder();
        boolean held = true;
        int pairs = 0;
        for (List<Map<String, String>> rows : List.of(bert, gpt)) {
            for (Map<String, String> c : rows) {
                if (!"cosine".equals(c.get("attention")) || c.getOrDefault("parameters", "").isEmpty()) continue;
                var s = rows.stream().filter(r -> "softmax".equals(r.get("attention")) && !r.get("parameters").isEmpty()
                        && r.get("model").equals(c.get("model"))
                        && r.getOrDefault("phase", "").equals(c.getOrDefault("phase", ""))).findFirst();
                if (s.isEmpty()) continue;
                java.util.regex.Matcher mm = java.util.regex.Pattern.compile("-L(\\d+)-E\\d+-H(\\d+)").matcher(c.get("model"));
                if (!mm.find()) continue;
                long diff = Long.parseLong(c.get("parameters")) - Long.parseLong(s.get().get("parameters"));
                long expected = Long.parseLong(mm.group(1)) * Long.parseLong(mm.group(2));
                if (pairs < 4) {
                    ev.append(String.format(Locale.ROOT, "%s: cosine %s vs softmax %s parameters, +%d (layers x heads = "
                            + "%d); ", c.get("model"), c.get("parameters"), s.get().get("parameters"), diff, expected));
                }
                held &= diff == expected;
                pairs++;
                break;
            }
        }
        if (pairs == 0) return Claim.notMeasured("10", claim, paper, "models not run");
        ev.append("the models share every other line of code (one class per family, the attention plugged in; "
                + "ArchitectureTest: models never ask an attention its kind)");
        return new Claim("10", claim, paper, "parameter counts, cosine - softmax, per model family", pairs, Double.NaN,
                Double.NaN, Double.NaN, "= layers x heads", held ? Verdict.HELD : Verdict.DID_NOT_HOLD, ev.toString());
    }
}
