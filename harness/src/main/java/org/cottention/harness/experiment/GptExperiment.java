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
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Predicate;
import org.cottention.api.Attention;
import org.cottention.harness.attention.ReferenceRecipe;
import org.cottention.harness.bench.FlopCounts;
import org.cottention.harness.bench.GemmProbe;
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
 * GPT-J (paper-spec §7.2, §8.3) byte-level causal language models on the pretraining text, in the comparison a
 * reviewer of a reproduction expects (experiment-design.md): the two attentions differ in the attention only (the
 * same baseline init, data order, seeds and optimiser), each at its own best learning rate, over a ladder of sizes
 * trained at one tokens-per-parameter budget, with paired seeds.
 * <ul>
 * <li><b>sweep</b>: on the smaller rungs, every learning rate of the profile (at least 4, spanning 30x or more) for each
 * attention, seed 1; the best per (rung, attention) is the lowest final loss on the validation set (a diverged run
 * never wins). The runs at 3e-3 are the shared-learning-rate comparison.</li>
 * <li><b>ladder</b>: every rung, both attentions, seeds 1..n, each attention at its best learning rate. A swept rung
 * takes its own best; an unswept rung takes the best of the widest swept rung of the same width, or, wider, that
 * learning rate times (swept width / width) (Adam's optimum falls about as 1/width; muP, Yang et al. 2021). Seed 1
 * of a swept rung is its sweep run at the best rate.</li>
 * <li><b>reference-init</b> (cosine only): the reference code's PyTorch-default init of the attention projections
 * (ReferenceRecipe), at the cosine best rate, to show what the reference code's choice does.</li>
 * <li><b>m-no-decay</b> (cosine only): weight decay off for the stabilisers m alone (AdamW decays m towards 0, which
 * pulls sigma(m) down to 0.5 without any gradient): the control for claim 4.</li>
 * </ul>
 * Held-out loss is measured on sets drawn evenly from every corpus (LmBatches.balanced; validation documents to pick
 * learning rates, test documents to report), the same for every run, never trained on, in bits per byte. Every
 * cosine curve carries sigma(m) (mean, min and max over heads, and per layer); every curve the gradient norm.
 */
public final class GptExperiment implements Experiment {

    /**
     * One rung of the size ladder: layers, width (heads of 64), the batch (sequences per step) and how many seeds.
     * The MLP is 4x the width, the rotary embedding covers every head dimension (64), as GPT-J 300M.
     */
    record Rung(String name, int layers, int hidden, int batch, int seeds) {
        int heads() {
            return Math.max(1, hidden / HEAD_DIM);
        }

        int intermediate() {
            return 4 * hidden;
        }

        /** Parameters outside the embeddings and the output layer (the ones tokens per parameter counts). */
        long nonEmbedding() {
            return (long) layers * (4L * hidden * hidden + 2L * hidden * intermediate());
        }

        String model() {
            return String.format(Locale.ROOT, "gptj-L%d-E%d-H%d", layers, hidden, heads());
        }
    }

    static final int HEAD_DIM = 64;
    static final String BASELINE = "baseline", REFERENCE_INIT = "reference-init", M_NO_DECAY = "m-no-decay";
    static final double SHARED_LR = 3e-3;

    /**
     * A profile's plan: the ladder, sequence length, tokens per non-embedding parameter, the learning rates of the
     * sweep and the rungs swept, evaluation points per run, windows per corpus in the validation and test sets (and
     * in the smaller probe set the curves are evaluated on).
     */
    record Plan(List<Rung> ladder, int seq, double tokensPerParameter, List<Double> lrs, List<String> swept,
                int curvePoints, int heldOutWindows, int probeWindows, int armSeeds) {
        Rung rung(String name) {
            return ladder.stream().filter(r -> r.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no rung " + name));
        }

        /** Optimiser steps of a rung's run: the token budget over the tokens of one step, at least 20. */
        long steps(Rung r) {
            return Math.max(20, Math.round(tokensPerParameter * r.nonEmbedding() / ((double) r.batch() * seq)));
        }

        /**
         * A fingerprint of what a run at rung r depends on beyond its configuration's parameters: the rung's sizes and
         * steps, the length, the sweep a ladder run takes its rate from, the evaluation sets (not the seed count).
         */
        String recipe(Rung r) {
            return Shards.fingerprint(String.format(Locale.ROOT, "%s L%d E%d batch %d steps %d seq %d lrs %s swept %s "
                    + "curve %d held-out %d probe %d", r.name(), r.layers(), r.hidden(), r.batch(), steps(r), seq, lrs,
                    swept, curvePoints, heldOutWindows, probeWindows));
        }

        /** The rung the arms run at: the largest swept rung. */
        Rung armRung() {
            return rung(swept.get(swept.size() - 1));
        }
    }

    static Plan plan(Profile p) {
        return switch (p) {
            case SMOKE -> new Plan(List.of(new Rung("XS", 1, 64, 2, 1), new Rung("S", 2, 64, 2, 1),
                    new Rung("M", 1, 128, 2, 1)), 64, 0.03, List.of(3e-3, 3e-2), List.of("XS"), 2, 4, 2, 1);
            case DEFAULT -> new Plan(List.of(new Rung("S", 2, 64, 4, 2), new Rung("M", 2, 128, 8, 2),
                    new Rung("L", 4, 128, 16, 2)), 256, 3, List.of(1e-3, 3e-3, 1e-2, 3e-2, 1e-1), List.of("S", "M"), 8, 288,
                    64, 2);
            case LONG -> new Plan(List.of(new Rung("S", 2, 64, 4, 3), new Rung("M", 2, 128, 8, 3),
                    new Rung("L", 4, 128, 16, 3)), 256, 3, List.of(1e-3, 3e-3, 1e-2, 3e-2, 1e-1),
                    List.of("S", "M"), 8, 288, 64, 2);
            case PAPER -> new Plan(List.of(new Rung("300M", 20, 1024, 128, 1)), 1024, 20, List.of(1e-4), List.of(),
                    20, 4096, 512, 1);
        };
    }

    @Override
    public String name() {
        return "gpt";
    }

    @Override
    public String description() {
        return "GPT-J byte-level LM: learning-rate sweep, size ladder at one tokens-per-parameter budget, paired seeds,"
                + " reference-init and no-decay-on-m arms";
    }

    @Override
    public List<String> jvmArgs() {
        return List.of("-Xms1g", "-Xmx1g");
    }

    @Override
    public List<Column> columns() {
        Predicate<Map<String, String>> fin = r -> "final".equals(r.get("phase"));
        Predicate<Map<String, String>> cosine = r -> "cosine".equals(r.get("attention"));
        return List.of(Column.oneOf("arm", BASELINE, REFERENCE_INIT, M_NO_DECAY).always(),
                Column.oneOf("role", "sweep", "ladder", "arm").always(), Column.text("rung").always(),
                Column.oneOf("phase", "curve", "final").always(), Column.integer("step").positive().required(),
                Column.number("lr").positive().always(), Column.integer("parameters").positive().always(),
                Column.integer("non_embedding_parameters").positive().always(),
                Column.number("tokens_per_parameter").positive().always(),
                Column.number("train_loss").required(), Column.number("grad_norm").required(),
                Column.number("val_loss").requiredWhen(fin), Column.number("val_bits_per_byte").positive().requiredWhen(fin),
                Column.number("test_loss").requiredWhen(fin), Column.number("test_bits_per_byte").positive().requiredWhen(fin),
                Column.number("sigma_m_mean").requiredWhen(cosine), Column.number("sigma_m_min").requiredWhen(cosine),
                Column.number("sigma_m_max").requiredWhen(cosine), Column.text("sigma_m_layers").requiredWhen(cosine),
                Column.number("tokens_per_s").positive().requiredWhen(fin).varies(),
                Column.number("real_tokens_per_s").positive().requiredWhen(fin).varies(),
                Column.number("model_flops_per_token").positive().requiredWhen(fin),
                Column.number("achieved_gflops").positive().requiredWhen(fin).varies(),
                Column.number("gemm_gflops").positive().requiredWhen(fin).varies(),
                Column.number("mfu").positive().requiredWhen(fin).varies(),
                Column.number("peak_rss_mib").positive().requiredWhen(fin).varies(),
                Column.number("wall_s").positive().requiredWhen(fin).varies(),
                Column.integer("diverged_step"));
    }

    // ----------------------------------------------------------------------------------------------------------
    // Configurations

    @Override
    public List<RunConfig> configs(Profile profile) {
        Plan plan = plan(profile);
        List<RunConfig> out = new ArrayList<>();
        for (String rung : plan.swept()) {
            for (String kind : KINDS) {
                for (double lr : plan.lrs()) out.add(run(plan, "sweep", BASELINE, rung, kind, lr, 1, List.of()));
            }
        }
        for (Rung r : plan.ladder()) {
            for (String kind : KINDS) {
                List<String> after = sweepKeys(plan, lrSource(plan, r).name(), kind);
                for (int seed = plan.swept().contains(r.name()) ? 2 : 1; seed <= r.seeds(); seed++) {
                    out.add(run(plan, "ladder", BASELINE, r.name(), kind, Double.NaN, seed, after));
                }
            }
        }
        if (!plan.swept().isEmpty()) {
            Rung arm = plan.armRung();
            for (String a : new String[] {REFERENCE_INIT, M_NO_DECAY}) {
                for (int seed = 1; seed <= plan.armSeeds(); seed++) {
                    out.add(run(plan, "arm", a, arm.name(), "cosine", Double.NaN, seed, sweepKeys(plan, arm.name(), "cosine")));
                }
            }
        }
        return out;
    }

    static final List<String> KINDS = List.of("cosine", "softmax");

    private RunConfig run(Plan plan, String role, String arm, String rung, String kind, double lr, int seed,
                          List<String> after) {
        String key = role.equals("sweep") ? String.format(Locale.ROOT, "sweep-%s-%s-lr%s", rung, kind, lrText(lr))
                : role.equals("ladder") ? String.format(Locale.ROOT, "ladder-%s-%s-seed%d", rung, kind, seed)
                : String.format(Locale.ROOT, "%s-%s-%s-seed%d", arm, rung, kind, seed);
        Map<String, String> p = new LinkedHashMap<>();
        p.put("role", role);
        p.put("arm", arm);
        p.put("rung", rung);
        p.put("kind", kind);
        p.put("seed", Integer.toString(seed));
        if (!Double.isNaN(lr)) p.put("lr", Double.toString(lr));
        p.put("recipe", plan.recipe(plan.rung(rung)));
        return new RunConfig(key, p, after.stream().map(k -> name() + "/" + k).toList());
    }

    static List<String> sweepKeys(Plan plan, String rung, String kind) {
        List<String> keys = new ArrayList<>();
        if (!plan.swept().contains(rung)) return keys;
        for (double lr : plan.lrs()) keys.add(String.format(Locale.ROOT, "sweep-%s-%s-lr%s", rung, kind, lrText(lr)));
        return keys;
    }

    static String lrText(double lr) {
        return String.format(Locale.ROOT, "%.0e", lr).replace("e-0", "e-");
    }

    /** The swept rung a rung takes its learning rate from: its own, else the widest swept rung at most as wide. */
    static Rung lrSource(Plan plan, Rung r) {
        if (plan.swept().contains(r.name()) || plan.swept().isEmpty()) return r;
        Rung best = null;
        for (String s : plan.swept()) {
            Rung c = plan.rung(s);
            if (c.hidden() <= r.hidden() && (best == null || c.hidden() > best.hidden()
                    || c.hidden() == best.hidden() && c.layers() > best.layers())) {
                best = c;
            }
        }
        return best == null ? plan.rung(plan.swept().get(0)) : best;
    }

    /** One optimiser step's lr: from the config (a sweep), or the best of the sweep it reads, width-scaled. */
    static double learningRate(RunConfig c, Plan plan, Path out) throws IOException {
        if (c.params().containsKey("lr")) return Double.parseDouble(c.get("lr"));
        Rung r = plan.rung(c.get("rung")), source = lrSource(plan, r);
        if (plan.swept().isEmpty()) return plan.lrs().get(0);
        List<Map<String, String>> sweep = new ArrayList<>();
        for (String key : sweepKeys(plan, source.name(), c.get("kind"))) {
            Path f = out.resolve(".runs").resolve("gpt").resolve(key + ".csv");
            if (!Files.isRegularFile(f)) {
                throw new IllegalStateException("gpt/" + c.key() + " needs the learning-rate sweep gpt/" + key
                        + " first (./reproduce.sh runs it before)");
            }
            sweep.addAll(Experiments.readCsv(f));
        }
        double best = bestLearningRate(sweep).orElseThrow(() -> new IllegalStateException("gpt/" + c.key()
                + ": every sweep run of " + source.name() + " " + c.get("kind") + " diverged"));
        return best * source.hidden() / r.hidden();
    }

    /** The learning rate whose final validation loss is lowest among the sweep rows that did not diverge. */
    static Optional<Double> bestLearningRate(List<Map<String, String>> sweepRows) {
        return sweepRows.stream().filter(r -> "final".equals(r.get("phase")) && "ok".equals(r.get("status")))
                .min((a, b) -> Double.compare(Double.parseDouble(a.get("val_loss")), Double.parseDouble(b.get("val_loss"))))
                .map(r -> Double.parseDouble(r.get("lr")));
    }

    @Override
    public OptionalInt expectedRows(RunConfig c, Profile profile) {
        return OptionalInt.empty();   // a diverged run stops early; its curve is shorter
    }

    /** Working set and FLOPs of a run: parameters (16 bytes each with grads and moments), activations, 6 N D. */
    @Override
    public Resources resources(RunConfig c, Profile profile) {
        Plan plan = plan(profile);
        Rung r = plan.rung(c.get("rung"));
        double params = r.nonEmbedding() + 2.0 * 257 * r.hidden();
        double tokens = (double) plan.steps(r) * r.batch() * plan.seq();
        double flops = Resources.trainingFlops(params, tokens) * 1.3;          // and the evaluations
        double activations = (double) r.batch() * plan.seq() * r.layers() * (16.0 * r.hidden() + 2.0 * r.intermediate()) * 4
                + (c.get("kind").equals("softmax") ? 3.0 * r.batch() * r.heads() * plan.seq() * plan.seq() * r.layers() * 4 : 0);
        return Resources.estimate(Resources.MODEL_RUN_MIB, 16 * params + activations, flops);
    }

    static Path runDir(Path out, String key) {
        return Experiments.workDir(out, new GptExperiment()).resolve(key);
    }

    // ----------------------------------------------------------------------------------------------------------
    // One run

    @Override
    public List<Map<String, Object>> run(RunConfig c, Profile profile, Path out, PrintStream log) throws IOException {
        Plan plan = plan(profile);
        Rung r = plan.rung(c.get("rung"));
        String kind = c.get("kind"), arm = c.get("arm");
        int seed = c.getInt("seed");
        double lr = learningRate(c, plan, out);
        DataRoot data = ModelData.root(profile);
        Tokenizer tok = Tokenizers.byName("byte", data);
        SplitSet<Document> docs = Datasets.pretraining(data);
        LmBatches train = LmBatches.of(docs.train(), tok, plan.seq());
        List<LmBatch> validation = LmBatches.balanced(docs.validation(), tok, plan.seq(), plan.heldOutWindows(), 16, 11);
        List<LmBatch> test = LmBatches.balanced(docs.test(), tok, plan.seq(), plan.heldOutWindows(), 16, 13);
        List<LmBatch> probe = LmBatches.balanced(docs.validation(), tok, plan.seq(), plan.probeWindows(), 16, 17);
        log.printf(Locale.ROOT, "%s: %s %s seed %d lr %.3g; %d train windows; held-out %d validation and %d test "
                + "windows of %d bytes, evenly from each corpus%n", c.key(), r.model(), kind, seed, lr, train.size(),
                count(validation), count(test), plan.seq());

        Attention attention = ModelRuns.attention(kind, true);
        ModelConfig config = ModelConfig.gptj(tok.vocabSize(), r.hidden(), r.layers(), r.heads(), r.intermediate(),
                Math.min(HEAD_DIM, r.hidden() / r.heads()), plan.seq());
        if (arm.equals(REFERENCE_INIT)) config = config.withProjectionInit(ReferenceRecipe.projectionInit(kind));
        GptJ model = new GptJ(config, attention, 1000L + seed);
        long steps = plan.steps(r);
        AdamW.Config adam = arm.equals(M_NO_DECAY)
                ? new AdamW.Config(0.9, 0.999, 1e-7, 0.01, AdamW.DecayOn.ALL_BUT_STABILISER) : AdamW.Config.reference();
        int evalEvery = (int) Math.max(1, steps / plan.curvePoints());
        Trainer.Settings s = new Trainer.Settings(steps, 1, lr, new LinearSchedule(Math.max(1, steps / 10), steps, true),
                0, adam, seed, (int) Math.max(1, steps / 10), evalEvery, (int) Math.max(1, steps / 4));
        long t0 = System.nanoTime();
        Map<String, String> runInfo = Map.of("experiment", "gpt", "config", c.key(), "kind", kind, "arm", arm);
        Path dir = runDir(out, c.key());
        double gemmBefore = GemmProbe.gflops(GemmProbe.measureMs());
        Trainer.Outcome o = new Trainer<>(model, train.sampled(r.batch(), 100L + seed), probe, s, runInfo,
                dir.resolve("checkpoints"), dir.resolve("curve.csv"), log).stopOnDivergence().run(true, Long.MAX_VALUE);

        Map<String, Object> common = new LinkedHashMap<>();
        common.put("model", r.model());
        common.put("attention", kind);
        common.put("implementation", attention.name());
        common.put("shape", String.format(Locale.ROOT, "L%d E%d H%d I%d s%d rotary%d byte batch%d", r.layers(), r.hidden(),
                r.heads(), r.intermediate(), plan.seq(), config.rotaryDim(), r.batch()));
        common.put("dtype", "float32");
        common.put("seed", seed);
        common.put("arm", arm);
        common.put("role", c.get("role"));
        common.put("rung", r.name());
        common.put("lr", lr);
        common.put("parameters", model.parameters().count());
        common.put("non_embedding_parameters", r.nonEmbedding());
        common.put("tokens_per_parameter", (double) steps * r.batch() * plan.seq() / r.nonEmbedding());
        String status = o.diverged() ? "diverged: " + o.divergence() : "ok";

        List<Map<String, Object>> rows = new ArrayList<>();
        List<String> curve = o.curve();
        List<String> header = List.of(curve.get(0).split(",", -1));
        int every = (int) Math.max(1, steps / 50);
        for (String line : curve.subList(1, curve.size())) {
            String[] f = line.split(",", -1);
            long step = Long.parseLong(f[header.indexOf("step")]);
            String eval = f[header.indexOf("eval_loss")];
            if (step % every != 0 && eval.isEmpty()) continue;                 // 50 points, and every evaluation
            Map<String, Object> row = new LinkedHashMap<>(common);
            row.put("status", status);
            row.put("phase", "curve");
            row.put("step", step);
            row.put("train_loss", ModelRuns.number(f[header.indexOf("train_loss")]));
            row.put("grad_norm", ModelRuns.number(f[header.indexOf("grad_norm")]));
            if (!eval.isEmpty()) {
                row.put("val_loss", eval);
                row.put("val_bits_per_byte", Double.parseDouble(eval) / Math.log(2));
            }
            for (String col : new String[] {"sigma_m_mean", "sigma_m_min", "sigma_m_max", "sigma_m_layers"}) {
                row.put(col, col.equals("sigma_m_layers") ? f[header.indexOf(col)] : ModelRuns.number(f[header.indexOf(col)]));
            }
            rows.add(row);
        }
        double[] val = Trainer.evaluate(model, validation), tst = Trainer.evaluate(model, test);
        // The probe before and after training; the faster of the two (the machine at its least busy), so that a
        // neighbour slowing the probe never inflates MFU.
        double gemm = Math.max(gemmBefore, GemmProbe.gflops(GemmProbe.measureMs()));
        double flopsPerToken = FlopCounts.trainingStep(false, attention.name(), 1, plan.seq(), plan.seq(), r.layers(),
                r.hidden(), r.heads(), r.intermediate(), tok.vocabSize(), 64) / plan.seq();
        Map<String, Object> fin = new LinkedHashMap<>(common);
        fin.put("status", status);
        fin.put("phase", "final");
        fin.put("step", o.steps());
        fin.put("train_loss", o.lastLoss());
        fin.put("grad_norm", lastGradNorm(curve, header));
        fin.put("val_loss", val[0]);
        fin.put("val_bits_per_byte", val[0] / Math.log(2));
        fin.put("test_loss", tst[0]);
        fin.put("test_bits_per_byte", tst[0] / Math.log(2));
        double[] sigma = Trainer.stabilizerSummary(model);
        if (!Double.isNaN(sigma[1])) {
            fin.put("sigma_m_min", sigma[0]);
            fin.put("sigma_m_mean", sigma[1]);
            fin.put("sigma_m_max", sigma[2]);
            fin.put("sigma_m_layers", Trainer.stabilizerByLayer(model));
        }
        double tokensPerSecond = ModelRuns.tokensPerSecond(o);   // also when resumed at its last checkpoint
        fin.put("tokens_per_s", tokensPerSecond);
        fin.put("real_tokens_per_s", ModelRuns.realTokensPerSecond(o));
        fin.put("model_flops_per_token", flopsPerToken);
        fin.put("achieved_gflops", flopsPerToken * tokensPerSecond / 1e9);
        fin.put("gemm_gflops", gemm);
        fin.put("mfu", flopsPerToken * tokensPerSecond / 1e9 / gemm);
        fin.put("peak_rss_mib", o.peakRssBytes() / (1024.0 * 1024));
        fin.put("wall_s", (System.nanoTime() - t0) / 1e9);
        if (o.diverged()) fin.put("diverged_step", o.divergedAt());
        rows.add(fin);
        log.printf(Locale.ROOT, "%s: %s; validation %.4f bits/byte, test %.4f; %.0f tokens/s, %.1f GFLOP/s = %.2f of the "
                + "GEMM probe (%.1f)%n", c.key(), status, val[0] / Math.log(2), tst[0] / Math.log(2),
                tokensPerSecond, flopsPerToken * tokensPerSecond / 1e9, flopsPerToken * tokensPerSecond / 1e9 / gemm, gemm);
        return rows;
    }

    // ----------------------------------------------------------------------------------------------------------
    // Report: figures, tables, claims

    /** Whether two rows come from the same run (curve rows and their final row share these columns). */
    static boolean sameRun(Map<String, String> a, Map<String, String> b) {
        for (String c : new String[] {"rung", "attention", "seed", "role", "arm", "lr"}) {
            if (!a.get(c).equals(b.get(c))) return false;
        }
        return true;
    }

    @Override
    public void report(Profile profile, Path results, Path into, List<Map<String, String>> rows) throws IOException {
        List<GptLadder.Point> points = GptLadder.points(rows);
        // Learning curves per rung: the probe set's bits per byte, each seed a thin line.
        for (String rung : points.stream().map(GptLadder.Point::rung).distinct().toList()) {
            GptLadder.Point any = points.stream().filter(p -> p.rung().equals(rung)).findFirst().orElseThrow();
            Plots.Figure f = Plots.figure("GPT-J " + rung + ": held-out bits per byte vs step")
                    .subtitle(any.row().get("model") + ", " + any.row().get("shape") + "; each attention at its best lr; "
                            + "thin: one seed each")
                    .x("step", Plots.Scale.LINEAR_INTEGER).y("validation probe (bits/byte)", Plots.Scale.LINEAR)
                    .yIncludesZero(false);
            for (GptLadder.Point p : points) {
                if (!p.rung().equals(rung)) continue;
                f.add(Plots.series(p.attention() + " seed " + p.seed(), Plots.points(rows, r -> "curve".equals(r.get("phase"))
                        && sameRun(r, p.row()) && !r.get("val_bits_per_byte").isEmpty(), "step", "val_bits_per_byte"))
                        .group(p.attention()).thin());
            }
            f.write(into.resolve("gpt_curves_" + rung + ".png"));
        }
        // The gap against size, with 95 % intervals over paired seeds.
        List<GptLadder.Gap> gaps = GptLadder.gaps(points);
        List<double[]> gapPoints = new ArrayList<>();
        for (GptLadder.Gap g : gaps) {
            if (g.pairs() == 0) continue;
            gapPoints.add(g.gap().defined() ? new double[] {g.nonEmbedding(), g.gap().estimate(), g.gap().low(), g.gap().high()}
                    : new double[] {g.nonEmbedding(), g.gap().estimate()});
        }
        if (!gapPoints.isEmpty()) {
            Plots.figure("GPT-J: cosine - softmax test bits per byte vs size")
                    .subtitle(String.format(Locale.ROOT, "%s tokens per non-embedding parameter; 95 %% t-intervals over paired "
                            + "seeds; paper at 300M: %+.3f", rows.isEmpty() ? "" : Markdown.number(rows.get(0).get("tokens_per_parameter")),
                            GptLadder.bitsPerByte(GptLadder.PAPER_GAP_300M_NATS)))
                    .x("non-embedding parameters", Plots.Scale.LOG10).y("gap (bits/byte)", Plots.Scale.LINEAR)
                    .add(Plots.series("cosine - softmax", gapPoints))
                    .write(into.resolve("gpt_gap_vs_size.png"));
        }
        // The sweep: final validation bits per byte against the learning rate.
        Plots.Figure sweep = Plots.figure("GPT-J: learning-rate sweep").subtitle("final validation bits per byte, seed 1; "
                + "diverged runs left out").x("learning rate", Plots.Scale.LOG10).y("validation (bits/byte)", Plots.Scale.LINEAR)
                .yIncludesZero(false);
        boolean any = false;
        for (String rung : rows.stream().filter(r -> "sweep".equals(r.get("role"))).map(r -> r.get("rung")).distinct().toList()) {
            for (String kind : KINDS) {
                List<double[]> pts = Plots.points(rows, r -> "final".equals(r.get("phase")) && "sweep".equals(r.get("role"))
                        && rung.equals(r.get("rung")) && kind.equals(r.get("attention")) && "ok".equals(r.get("status")),
                        "lr", "val_bits_per_byte");
                if (pts.isEmpty()) continue;
                sweep.add(Plots.series(rung + " " + kind, pts).group(kind).dash(rung.equals(rows.stream()
                        .filter(r -> "sweep".equals(r.get("role"))).findFirst().get().get("rung")) ? Plots.Dash.SOLID : Plots.Dash.DASHED));
                any = true;
            }
        }
        if (any) sweep.write(into.resolve("gpt_lr_sweep.png"));
        // sigma(m) over training at the arm rung, seed 1: the baseline (weight decay on m) and the no-decay control.
        Plots.Figure sigma = Plots.figure("GPT-J cosine: sigma(m) during training").subtitle("mean over heads and layers, "
                + "band: min to max; initial sigma(m) = 0.62").x("step", Plots.Scale.LINEAR_INTEGER)
                .y("sigma(m)", Plots.Scale.LINEAR).yIncludesZero(false);
        Optional<Map<String, String>> control = GptLadder.finals(rows).stream()
                .filter(r -> M_NO_DECAY.equals(r.get("arm")) && "1".equals(r.get("seed"))).findFirst();
        any = false;
        if (control.isPresent()) {
            Optional<Map<String, String>> base = points.stream().filter(p -> p.attention().equals("cosine") && p.seed() == 1
                    && p.rung().equals(control.get().get("rung"))).map(GptLadder.Point::row).findFirst();
            for (Map<String, String> id : base.isPresent() ? List.of(base.get(), control.get()) : List.of(control.get())) {
                List<double[]> pts = new ArrayList<>();
                for (Map<String, String> r : rows) {
                    if (!"curve".equals(r.get("phase")) || !sameRun(r, id) || r.get("sigma_m_mean").isEmpty()) continue;
                    pts.add(new double[] {Double.parseDouble(r.get("step")), Double.parseDouble(r.get("sigma_m_mean")),
                            Double.parseDouble(r.get("sigma_m_min")), Double.parseDouble(r.get("sigma_m_max"))});
                }
                if (pts.isEmpty()) continue;
                sigma.add(Plots.series(id.get("arm").equals(BASELINE) ? "weight decay on m (reference)" : "no weight decay on m",
                        pts).band());
                any = true;
            }
        }
        if (any) sigma.write(into.resolve("gpt_sigma_m.png"));
    }

    @Override
    public String markdown(Profile profile, List<Map<String, String>> rows) {
        List<GptLadder.Point> points = GptLadder.points(rows);
        List<GptLadder.Gap> gaps = GptLadder.gaps(points);
        Map<String, Map<String, Double>> best = GptLadder.bestLearningRates(rows);
        StringBuilder sb = new StringBuilder();
        sb.append("Byte-level GPT-J on the pretraining text; every run trains at one tokens-per-parameter budget; test ")
                .append("bits per byte on held-out documents drawn evenly from every corpus. Each attention runs at its own ")
                .append("best learning rate (lowest validation loss of the sweep); the gap is cosine - softmax over paired ")
                .append("seeds (same init, data order and optimiser), with its 95 % t-interval.\n\n");
        sb.append("| rung | model | non-embedding params | tokens/param | steps | lr cosine | lr softmax | cosine bits/byte ")
                .append("| softmax bits/byte | gap [95 % interval] | pairs | diverged |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (GptLadder.Gap g : gaps) {
            Map<String, String> any = points.stream().filter(p -> p.rung().equals(g.rung())).findFirst().orElseThrow().row();
            String lrC = lrOf(points, g.rung(), "cosine"), lrS = lrOf(points, g.rung(), "softmax");
            sb.append(String.format(Locale.ROOT, "| %s | %s | %,d | %s | %s | %s | %s | %.4f | %.4f | %s | %d | %d |%n",
                    g.rung(), any.get("model"), g.nonEmbedding(), Markdown.number(any.get("tokens_per_parameter")),
                    any.get("step"), lrC, lrS, g.cosine(), g.softmax(), g.pairs() == 0 ? "" : Verdict.describe(g.gap(), "%+.4f"),
                    g.pairs(), g.diverged()));
        }
        Stats.Interval slope = GptLadder.slope(points);
        sb.append(String.format(Locale.ROOT, "%nSlope of the gap against ln(non-embedding parameters): %s bits per byte per "
                + "e-fold (%d pairs). Paper (README perplexities, BPE tokens, about 4 bytes each): %+.3f bits/byte at 300M, "
                + "%+.3f at 1.2B.%n%n", slope.n() > 2 ? Verdict.describe(slope, "%+.4f") : "not estimable", slope.n(),
                GptLadder.bitsPerByte(GptLadder.PAPER_GAP_300M_NATS), GptLadder.bitsPerByte(GptLadder.PAPER_GAP_1200M_NATS)));
        if (!best.isEmpty()) {
            sb.append("Learning-rate sweep (final validation bits per byte, seed 1; `diverged` where the run stopped):\n\n");
            List<Double> lrs = rows.stream().filter(r -> "sweep".equals(r.get("role")) && "final".equals(r.get("phase")))
                    .map(r -> Double.parseDouble(r.get("lr"))).distinct().sorted().toList();
            sb.append("| rung | attention |");
            lrs.forEach(lr -> sb.append(' ').append(lrText(lr)).append(" |"));
            sb.append(" best |\n|---|---|").append("---|".repeat(lrs.size() + 1)).append('\n');
            for (String rung : best.keySet()) {
                for (String kind : KINDS) {
                    sb.append("| ").append(rung).append(" | ").append(kind).append(" |");
                    for (double lr : lrs) {
                        Optional<Map<String, String>> r = rows.stream().filter(x -> "final".equals(x.get("phase"))
                                && "sweep".equals(x.get("role")) && rung.equals(x.get("rung")) && kind.equals(x.get("attention"))
                                && Double.parseDouble(x.get("lr")) == lr).findFirst();
                        sb.append(' ').append(r.isEmpty() ? "" : "ok".equals(r.get().get("status"))
                                ? Markdown.number(r.get().get("val_bits_per_byte")) : "diverged").append(" |");
                    }
                    Double b = best.get(rung).get(kind);
                    boolean edge = b != null && (b.equals(lrs.get(0)) || b.equals(lrs.get(lrs.size() - 1)));
                    sb.append(' ').append(b == null ? "none" : lrText(b) + (edge ? " (edge of the grid)" : "")).append(" |\n");
                }
            }
            sb.append('\n');
        }
        GptLadder.sharedLr(rows, SHARED_LR).forEach((rung, v) -> sb.append(String.format(Locale.ROOT, "Shared learning "
                + "rate %s, rung %s, seed 1: cosine %.4f, softmax %.4f test bits per byte (gap %+.4f).%n", lrText(SHARED_LR),
                rung, v[0], v[1], v[0] - v[1])));
        for (String arm : new String[] {REFERENCE_INIT, M_NO_DECAY}) {
            GptLadder.armEffect(rows, arm).ifPresent(x -> sb.append(String.format(Locale.ROOT, "Arm `%s` (cosine, %s): test "
                    + "bits per byte minus the baseline's, paired by seed: %s.%n", arm, armRung(rows, arm),
                    x.n() == 0 ? "no finished pair" : Verdict.describe(x, "%+.4f"))));
        }
        List<Map<String, String>> fin = GptLadder.finals(rows).stream().filter(r -> !"sweep".equals(r.get("role"))
                || points.stream().anyMatch(p -> p.row() == r)).toList();
        sb.append("\nThroughput of the runs above (one process each; MFU = model FLOPs per token x tokens/s over the GEMM ")
                .append("probe measured in the same JVM):\n\n");
        sb.append(Markdown.table(List.of("rung", "attention", "arm", "seed", "implementation", "tokens/s", "GFLOP/s", "GEMM GFLOP/s",
                "MFU", "peak RSS MiB", "wall s"), fin, List.of(Markdown.col("rung"), Markdown.col("attention"), Markdown.col("arm"),
                Markdown.col("seed"), Markdown.col("implementation"), Markdown.num("tokens_per_s"), Markdown.num("achieved_gflops"),
                Markdown.num("gemm_gflops"), Markdown.num("mfu"), Markdown.num("peak_rss_mib"), Markdown.num("wall_s"))));
        sb.append('\n');
        for (GptLadder.Gap g : gaps) sb.append(Markdown.image("gpt_curves_" + g.rung() + ".png", "GPT " + g.rung() + " curves")).append('\n');
        sb.append(Markdown.image("gpt_gap_vs_size.png", "GPT gap vs size")).append('\n');
        if (!best.isEmpty()) sb.append(Markdown.image("gpt_lr_sweep.png", "GPT learning-rate sweep")).append('\n');
        if (rows.stream().anyMatch(r -> M_NO_DECAY.equals(r.get("arm")))) sb.append(Markdown.image("gpt_sigma_m.png", "sigma(m)")).append('\n');
        return sb.toString();
    }

    private static String lrOf(List<GptLadder.Point> points, String rung, String kind) {
        return points.stream().filter(p -> p.rung().equals(rung) && p.attention().equals(kind)).findFirst()
                .map(p -> String.format(Locale.ROOT, "%.3g", Double.parseDouble(p.row().get("lr")))).orElse("");
    }

    private static String armRung(List<Map<String, String>> rows, String arm) {
        return rows.stream().filter(r -> arm.equals(r.get("arm"))).map(r -> "rung " + r.get("rung")).findFirst().orElse("");
    }

    static final String CLAIM_2 = "Cosine GPT-J reaches similar loss to softmax";
    static final String PAPER_2 = "README PPL 11.6 vs 10.3 (300M: +0.12 nats per BPE token), 9.9 vs 9.1 (1.2B: +0.08); "
            + "Fig. 3 curves";

    @Override
    public List<Claim> claims(Profile profile, Map<String, List<Map<String, String>>> tables) {
        List<Map<String, String>> rows = tables.getOrDefault(name(), List.of());
        List<GptLadder.Point> points = GptLadder.points(rows);
        List<GptLadder.Gap> gaps = GptLadder.gaps(points).stream().filter(g -> g.pairs() > 0).toList();
        String shrinks = "The cosine - softmax loss gap shrinks with scale";
        if (gaps.isEmpty()) {
            return List.of(Claim.notMeasured("2a", CLAIM_2, PAPER_2, "GPT experiment not run (or every pair diverged)"),
                    Claim.notMeasured("2b", shrinks, PAPER_2, "GPT experiment not run (or every pair diverged)"));
        }
        return List.of(similarLoss(gaps), gapShrinks(points, gaps));
    }

    /**
     * Claim 2a: at the largest rung, the gap (cosine - softmax, test bits per byte) is no larger than the paper's own
     * 300M gap in bits per byte: non-inferiority on the paired-seed interval.
     */
    static Claim similarLoss(List<GptLadder.Gap> gaps) {
        GptLadder.Gap top = gaps.get(gaps.size() - 1);
        double margin = GptLadder.bitsPerByte(GptLadder.PAPER_GAP_300M_NATS);
        return Claim.of("2a", CLAIM_2, PAPER_2, String.format(Locale.ROOT, "paired t over %d seeds at the largest rung "
                        + "(%s): cosine - softmax test bits per byte", top.pairs(), top.rung()), top.gap(),
                String.format(Locale.ROOT, "<= %+.4f bits/byte (the paper's 300M gap)", margin),
                Verdict.withinMargin(top.gap(), margin), "per rung: " + GptLadder.describe(gaps));
    }

    /** Claim 2b: the slope of the per-seed gap against ln(non-embedding parameters) is below 0. */
    static Claim gapShrinks(List<GptLadder.Point> points, List<GptLadder.Gap> gaps) {
        String statement = "The cosine - softmax loss gap shrinks with scale";
        if (gaps.size() < 3) {
            return new Claim("2b", statement, PAPER_2, "slope of the gap against ln(parameters)", gaps.size(), Double.NaN,
                    Double.NaN, Double.NaN, "interval below 0", Verdict.NOT_TESTABLE, gaps.size() + " model size(s) with "
                    + "finished pairs; a trend needs at least 3: " + GptLadder.describe(gaps));
        }
        Stats.Interval slope = GptLadder.slope(points);
        return Claim.of("2b", statement, PAPER_2, String.format(Locale.ROOT, "least-squares slope of the per-seed gap "
                        + "(bits/byte) against ln(non-embedding parameters), %d rungs", gaps.size()), slope,
                "interval below 0", Verdict.negative(slope), "per rung: " + GptLadder.describe(gaps));
    }

    private static int count(List<LmBatch> batches) {
        return batches.stream().mapToInt(LmBatch::batch).sum();
    }

    private static double lastGradNorm(List<String> curve, List<String> header) {
        if (curve.size() < 2) return Double.NaN;
        String g = curve.get(curve.size() - 1).split(",", -1)[header.indexOf("grad_norm")];
        return g.isEmpty() ? Double.NaN : Double.parseDouble(g);
    }
}
