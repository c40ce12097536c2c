package org.cottention.harness.experiment;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.Predicate;
import org.cottention.api.Attention;
import org.cottention.harness.data.DataRoot;
import org.cottention.harness.data.batch.LmBatches;
import org.cottention.harness.data.text.Datasets;
import org.cottention.harness.data.text.Document;
import org.cottention.harness.data.text.SplitSet;
import org.cottention.harness.data.tokenize.Tokenizer;
import org.cottention.harness.data.tokenize.Tokenizers;
import org.cottention.harness.results.Column;
import org.cottention.harness.train.AdamW;
import org.cottention.harness.train.LinearSchedule;
import org.cottention.harness.train.Trainer;
import org.cottention.models.GptJ;
import org.cottention.models.LmBatch;
import org.cottention.models.ModelConfig;

/**
 * Claim 3's ablation (paper 3.3, CHANGELOG): cosine attention with and without its stabiliser, where instability
 * can show (experiment-design.md): the sequence length the paper trained at and 4x longer, the cosine best
 * learning rate of the GPT sweep and 3x it, over paired seeds. "Without" is m initialised to {@link #NO_STABILISER_M}:
 * sigma(m) ~ 1e-13, so the divisor max(c^sigma(m), 1) is 1 and stays 1 (the gradient on m is ~1e-13 too). The two arms
 * share every other line, seed, init tensor and batch; a diverging run is a data point (its step is recorded).
 *
 * <p>The model is the smallest swept GPT rung (causal, byte-level), at the same tokens per step at every length.
 * Paper-spec's BERT history (bidirectional, where the CHANGELOG saw the instability) is not yet part of it: the
 * bidirectional arm needs a byte-level MLM that learns (issue 15) and is listed as missing in the report.
 */
public final class StabilityExperiment implements Experiment {

    static final double NO_STABILISER_M = -30;
    static final String WITH = "with", WITHOUT = "without";

    /** Lengths, learning-rate multipliers of the GPT sweep's best cosine rate, steps, tokens per step, seeds. */
    record Plan(List<Integer> lengths, List<Double> lrFactors, int steps, int tokensPerStep, int seeds) {}

    static Plan plan(Profile p) {
        return switch (p) {
            case SMOKE -> new Plan(List.of(64), List.of(1.0, 3.0), 6, 128, 1);
            case DEFAULT -> new Plan(List.of(256, 1024), List.of(1.0, 3.0), 300, 1024, 2);
            case LONG -> new Plan(List.of(256, 1024), List.of(1.0, 3.0), 600, 1024, 3);
            case PAPER -> new Plan(List.of(1024, 4096), List.of(1.0, 3.0), 20_000, 131_072, 2);
        };
    }

    @Override
    public String name() {
        return "stability";
    }

    @Override
    public String description() {
        return "claim 3: cosine GPT with and without the stabiliser, at two lengths and two learning rates, paired seeds";
    }

    @Override
    public boolean comparesAttentions() {
        return false;   // cosine against cosine
    }

    @Override
    public List<String> jvmArgs() {
        return List.of("-Xms1g", "-Xmx1g");
    }

    @Override
    public List<Column> columns() {
        Predicate<Map<String, String>> fin = r -> "final".equals(r.get("phase"));
        return List.of(Column.oneOf("stabiliser", WITH, WITHOUT).always(), Column.oneOf("phase", "curve", "final").always(),
                Column.integer("seq").positive().always(), Column.number("lr").positive().always(),
                Column.number("lr_factor").positive().always(), Column.integer("step").positive().required(),
                Column.number("train_loss").required(), Column.number("grad_norm").required(),
                Column.number("val_loss").requiredWhen(fin.and(r -> "ok".equals(r.get("status")))),
                Column.number("sigma_m_mean").required(), Column.integer("diverged_step"),
                Column.number("tokens_per_s").positive().requiredWhen(fin).varies(),
                Column.number("wall_s").positive().requiredWhen(fin).varies());
    }

    @Override
    public List<RunConfig> configs(Profile profile) {
        Plan plan = plan(profile);
        GptExperiment.Plan gpt = GptExperiment.plan(profile);
        List<String> sweep = gpt.swept().isEmpty() ? List.of() : GptExperiment.sweepKeys(gpt, gpt.swept().get(0), "cosine")
                .stream().map(k -> "gpt/" + k).toList();
        String recipe = recipe(plan, gpt);
        List<RunConfig> out = new ArrayList<>();
        for (int s : plan.lengths()) {
            for (double f : plan.lrFactors()) {
                for (int seed = 1; seed <= plan.seeds(); seed++) {
                    for (String arm : new String[] {WITH, WITHOUT}) {
                        Map<String, String> p = new LinkedHashMap<>();
                        p.put("seq", Integer.toString(s));
                        p.put("lr_factor", Double.toString(f));
                        p.put("seed", Integer.toString(seed));
                        p.put("stabiliser", arm);
                        p.put("recipe", recipe);
                        out.add(new RunConfig(String.format(Locale.ROOT, "s%d-lrx%s-seed%d-%s", s, factorText(f), seed, arm),
                                p, sweep));
                    }
                }
            }
        }
        return out;
    }

    /** The model is the smallest swept GPT rung (the first rung where none is swept). */
    static GptExperiment.Rung rung(GptExperiment.Plan gpt) {
        return gpt.rung(gpt.swept().isEmpty() ? gpt.ladder().get(0).name() : gpt.swept().get(0));
    }

    /** A fingerprint of what a run depends on beyond its parameters: steps, tokens per step, the model, the sweep. */
    static String recipe(Plan plan, GptExperiment.Plan gpt) {
        return Shards.fingerprint(String.format(Locale.ROOT, "steps %d tokens %d gpt %s", plan.steps(),
                plan.tokensPerStep(), gpt.recipe(rung(gpt))));
    }

    static String factorText(double f) {
        return f == Math.rint(f) ? Integer.toString((int) f) : Double.toString(f);
    }

    @Override
    public OptionalInt expectedRows(RunConfig c, Profile profile) {
        return OptionalInt.empty();   // a diverged run's curve is shorter
    }

    @Override
    public Resources resources(RunConfig c, Profile profile) {
        GptExperiment.Plan gpt = GptExperiment.plan(profile);
        GptExperiment.Rung r = rung(gpt);
        Plan plan = plan(profile);
        double params = r.nonEmbedding() + 2.0 * 257 * r.hidden();
        double activations = (double) plan.tokensPerStep() * r.layers() * (16.0 * r.hidden() + 2.0 * r.intermediate()) * 4;
        return Resources.estimate(Resources.MODEL_RUN_MIB, 16 * params + activations,
                Resources.trainingFlops(params, (double) plan.steps() * plan.tokensPerStep()) * 1.2);
    }

    @Override
    public List<Map<String, Object>> run(RunConfig c, Profile profile, Path out, PrintStream log) throws IOException {
        Plan plan = plan(profile);
        GptExperiment.Plan gpt = GptExperiment.plan(profile);
        GptExperiment.Rung r = rung(gpt);
        int seq = c.getInt("seq"), seed = c.getInt("seed"), batch = Math.max(1, plan.tokensPerStep() / seq);
        double factor = Double.parseDouble(c.get("lr_factor"));
        double lr = factor * bestCosineLr(gpt, r, out, c.key());
        boolean with = c.get("stabiliser").equals(WITH);
        DataRoot data = ModelData.root(profile);
        Tokenizer tok = Tokenizers.byName("byte", data);
        SplitSet<Document> docs = Datasets.pretraining(data);
        LmBatches train = LmBatches.of(docs.train(), tok, seq);
        List<LmBatch> validation = LmBatches.balanced(docs.validation(), tok, seq,
                Math.max(2, gpt.probeWindows() * 256 / seq), Math.max(1, 16 * 256 / seq), 11);
        Attention attention = ModelRuns.attention("cosine", true);
        ModelConfig config = ModelConfig.gptj(tok.vocabSize(), r.hidden(), r.layers(), r.heads(), r.intermediate(),
                Math.min(GptExperiment.HEAD_DIM, r.hidden() / r.heads()), seq);
        if (!with) config = config.withInitialM(NO_STABILISER_M);
        GptJ model = new GptJ(config, attention, 1000L + seed);
        long steps = plan.steps();
        Trainer.Settings s = new Trainer.Settings(steps, 1, lr, new LinearSchedule(Math.max(1, steps / 10), steps, true),
                0, AdamW.Config.reference(), seed, (int) Math.max(1, steps / 10), (int) Math.max(1, steps / 5),
                (int) Math.max(1, steps / 4));
        log.printf(Locale.ROOT, "%s: %s cosine %s the stabiliser, s %d, batch %d, lr %.3g (%s x the sweep's best), %d steps%n",
                c.key(), r.model(), with ? "with" : "without", seq, batch, lr, factorText(factor), steps);
        long t0 = System.nanoTime();
        Path dir = Experiments.workDir(out, this).resolve(c.key());
        Trainer.Outcome o = new Trainer<>(model, train.sampled(batch, 100L + seed), validation, s,
                Map.of("experiment", name(), "config", c.key()), dir.resolve("checkpoints"), dir.resolve("curve.csv"), log)
                .stopOnDivergence().run(true, Long.MAX_VALUE);

        Map<String, Object> common = new LinkedHashMap<>();
        common.put("model", r.model());
        common.put("attention", "cosine");
        common.put("implementation", attention.name());
        common.put("shape", String.format(Locale.ROOT, "L%d E%d H%d s%d byte batch%d", r.layers(), r.hidden(), r.heads(), seq,
                batch));
        common.put("dtype", "float32");
        common.put("seed", seed);
        common.put("stabiliser", with ? WITH : WITHOUT);
        common.put("seq", seq);
        common.put("lr", lr);
        common.put("lr_factor", factor);
        String status = o.diverged() ? "diverged: " + o.divergence() : "ok";
        List<Map<String, Object>> rows = new ArrayList<>();
        List<String> curve = o.curve();
        List<String> header = List.of(curve.get(0).split(",", -1));
        int every = (int) Math.max(1, steps / 25);
        for (String line : curve.subList(1, curve.size())) {
            String[] f = line.split(",", -1);
            long step = Long.parseLong(f[header.indexOf("step")]);
            if (step % every != 0) continue;
            Map<String, Object> row = new LinkedHashMap<>(common);
            row.put("status", status);
            row.put("phase", "curve");
            row.put("step", step);
            row.put("train_loss", ModelRuns.number(f[header.indexOf("train_loss")]));
            row.put("grad_norm", ModelRuns.number(f[header.indexOf("grad_norm")]));
            row.put("val_loss", ModelRuns.number(f[header.indexOf("eval_loss")]));
            row.put("sigma_m_mean", ModelRuns.number(f[header.indexOf("sigma_m_mean")]));
            rows.add(row);
        }
        Map<String, Object> fin = new LinkedHashMap<>(common);
        fin.put("status", status);
        fin.put("phase", "final");
        fin.put("step", o.steps());
        fin.put("train_loss", o.lastLoss());
        String lastGrad = curve.get(curve.size() - 1).split(",", -1)[header.indexOf("grad_norm")];
        fin.put("grad_norm", ModelRuns.number(lastGrad));
        if (!o.diverged()) fin.put("val_loss", o.heldOutLoss());
        fin.put("sigma_m_mean", ModelRuns.meanSigma(model));
        if (o.diverged()) fin.put("diverged_step", o.divergedAt());
        fin.put("tokens_per_s", ModelRuns.tokensPerSecond(o));
        fin.put("wall_s", (System.nanoTime() - t0) / 1e9);
        rows.add(fin);
        log.printf(Locale.ROOT, "%s: %s; validation loss %.4f%n", c.key(), fin.get("status"), o.heldOutLoss());
        return rows;
    }

    /** The GPT sweep's best cosine learning rate at the rung (the sweep runs before this experiment). */
    private static double bestCosineLr(GptExperiment.Plan gpt, GptExperiment.Rung r, Path out, String key) throws IOException {
        if (gpt.swept().isEmpty()) return gpt.lrs().get(0);
        List<Map<String, String>> sweep = new ArrayList<>();
        for (String k : GptExperiment.sweepKeys(gpt, r.name(), "cosine")) {
            Path f = out.resolve(".runs").resolve("gpt").resolve(k + ".csv");
            if (!Files.isRegularFile(f)) {
                throw new IllegalStateException("stability/" + key + " needs the GPT sweep gpt/" + k + " first "
                        + "(./reproduce.sh runs it before)");
            }
            sweep.addAll(Experiments.readCsv(f));
        }
        return GptExperiment.bestLearningRate(sweep).orElseThrow(() -> new IllegalStateException("stability/" + key
                + ": every cosine sweep run of rung " + r.name() + " diverged"));
    }

    // ----------------------------------------------------------------------------------------------------------
    // Analysis

    /** The paired outcome over (length, lr factor, seed): divergences each way and the loss gap where neither did. */
    record Pairs(int n, int withoutOnly, int withOnly, int both, Stats.Interval lossGap) {}

    static Pairs pairs(List<Map<String, String>> rows) {
        Map<String, Map<String, String>> with = new LinkedHashMap<>(), without = new LinkedHashMap<>();
        for (Map<String, String> r : rows) {
            if (!"final".equals(r.get("phase"))) continue;
            String id = r.get("seq") + "/" + r.get("lr_factor") + "/" + r.get("seed");
            (WITH.equals(r.get("stabiliser")) ? with : without).put(id, r);
        }
        int n = 0, withoutOnly = 0, withOnly = 0, both = 0;
        List<Double> a = new ArrayList<>(), b = new ArrayList<>();
        for (String id : with.keySet()) {
            if (!without.containsKey(id)) continue;
            n++;
            boolean dw = !"ok".equals(with.get(id).get("status")), dwo = !"ok".equals(without.get(id).get("status"));
            if (dw && dwo) both++;
            else if (dwo) withoutOnly++;
            else if (dw) withOnly++;
            else {
                a.add(Double.parseDouble(without.get(id).get("val_loss")));
                b.add(Double.parseDouble(with.get(id).get("val_loss")));
            }
        }
        return new Pairs(n, withoutOnly, withOnly, both, Stats.pairedDifference(a.stream().mapToDouble(x -> x).toArray(),
                b.stream().mapToDouble(x -> x).toArray()));
    }

    /**
     * Claim 3's rule. Held when runs diverge without the stabiliser where they do not with it, significantly (exact
     * one-sided sign test on the discordant pairs, p < 0.05: at least 5 of them, all one way), or when, no pair
     * diverging with the stabiliser only, the loss without is higher over the pairs where neither diverged (95 %
     * interval above 0). Did not hold when no run diverged without it and the loss gap's interval lies at or
     * below 0 (no instability, no loss). Otherwise not testable at this n.
     */
    static Verdict verdict(Pairs p) {
        if (p.n() == 0) return Verdict.NOT_MEASURED;
        if (signTestP(p.withoutOnly(), p.withOnly()) < 0.05) return Verdict.HELD;
        if (p.withOnly() == 0 && p.lossGap().defined() && p.lossGap().low() > 0) return Verdict.HELD;
        if (p.withoutOnly() == 0 && p.both() == 0 && p.lossGap().defined() && p.lossGap().high() <= 0) {
            return Verdict.DID_NOT_HOLD;
        }
        return Verdict.NOT_TESTABLE;
    }

    /** One-sided exact binomial p of at least k successes in k + j fair trials (1 when there are none). */
    static double signTestP(int k, int j) {
        int n = k + j;
        if (n == 0) return 1;
        double p = 0;
        for (int i = k; i <= n; i++) p += Math.exp(Stats.logGamma(n + 1) - Stats.logGamma(i + 1) - Stats.logGamma(n - i + 1)
                - n * Math.log(2));
        return Math.min(1, p);
    }

    static final String CLAIM_3 = "Without the stabiliser cosine attention trains unstably; dividing V by s^sigma(m) fixes it";
    static final String PAPER_3 = "argument (paper 3.3) and CHANGELOG history; no ablation figure";

    @Override
    public List<Claim> claims(Profile profile, Map<String, List<Map<String, String>>> tables) {
        List<Map<String, String>> rows = tables.getOrDefault(name(), List.of());
        Pairs p = pairs(rows);
        if (p.n() == 0) return List.of(Claim.notMeasured("3", CLAIM_3, PAPER_3, "stability ablation not run"));
        String ev = String.format(Locale.ROOT, "%d paired runs (causal GPT, lengths x lr x seeds): diverged without the "
                + "stabiliser only %d, with it only %d, both %d (sign test p = %.3g); validation loss without - with over "
                + "the %d pairs where neither diverged: %s nats; bidirectional (BERT) arm not run", p.n(), p.withoutOnly(),
                p.withOnly(), p.both(), signTestP(p.withoutOnly(), p.withOnly()), p.lossGap().n(),
                p.lossGap().n() == 0 ? "none" : Verdict.describe(p.lossGap(), "%+.4f"));
        return List.of(new Claim("3", CLAIM_3, PAPER_3, "paired runs with and without the stabiliser: divergences (sign "
                + "test), then paired t on validation loss", p.n(), p.lossGap().estimate(), p.lossGap().low(),
                p.lossGap().high(), "divergence without only (p < 0.05), or loss interval above 0", verdict(p), ev));
    }

    @Override
    public void report(Profile profile, Path results, Path into, List<Map<String, String>> rows) throws IOException {
        Plots.Figure f = Plots.figure("Cosine GPT with and without the stabiliser").subtitle("training loss; solid: with, "
                + "dashed: without; one line per length, lr and seed").x("step", Plots.Scale.LINEAR_INTEGER)
                .y("training loss (nats/byte)", Plots.Scale.LINEAR).yIncludesZero(false);
        for (Map<String, String> fin : rows.stream().filter(r -> "final".equals(r.get("phase"))).toList()) {
            String name = String.format(Locale.ROOT, "s%s lr x%s", fin.get("seq"), factorText(Double.parseDouble(fin.get("lr_factor"))));
            List<double[]> pts = Plots.points(rows, r -> "curve".equals(r.get("phase")) && r.get("seq").equals(fin.get("seq"))
                    && r.get("lr_factor").equals(fin.get("lr_factor")) && r.get("seed").equals(fin.get("seed"))
                    && r.get("stabiliser").equals(fin.get("stabiliser")), "step", "train_loss");
            Plots.Series s = Plots.series(name + " " + fin.get("stabiliser"), pts).group(name).thin()
                    .dash(WITH.equals(fin.get("stabiliser")) ? Plots.Dash.SOLID : Plots.Dash.DASHED);
            f.add("1".equals(fin.get("seed")) ? s : s.unlisted());
        }
        f.write(into.resolve("stability_curves.png"));
    }

    @Override
    public String markdown(Profile profile, List<Map<String, String>> rows) {
        List<Map<String, String>> fin = rows.stream().filter(r -> "final".equals(r.get("phase"))).toList();
        StringBuilder sb = new StringBuilder();
        sb.append(Markdown.table(List.of("s", "lr", "lr x best", "seed", "stabiliser", "status", "steps", "validation loss",
                "mean sigma(m)", "tokens/s"), fin, List.of(Markdown.col("seq"), Markdown.num("lr"), Markdown.col("lr_factor"),
                Markdown.col("seed"), Markdown.col("stabiliser"), Markdown.col("status"), Markdown.col("step"),
                Markdown.num("val_loss"), Markdown.num("sigma_m_mean"), Markdown.num("tokens_per_s"))));
        Pairs p = pairs(rows);
        sb.append(String.format(Locale.ROOT, "%nPairs: %d; diverged without the stabiliser only: %d, with it only: %d, both: "
                + "%d; loss without - with where neither diverged: %s.%n%n", p.n(), p.withoutOnly(), p.withOnly(), p.both(),
                p.lossGap().n() == 0 ? "none" : Verdict.describe(p.lossGap(), "%+.4f")));
        sb.append(Markdown.image("stability_curves.png", "stability curves")).append('\n');
        sb.append("Missing: the bidirectional (BERT) arm, where the CHANGELOG reported the instability.\n");
        return sb.toString();
    }
}
