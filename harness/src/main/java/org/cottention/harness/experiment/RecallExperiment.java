package org.cottention.harness.experiment;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.TreeSet;
import org.cottention.api.Attention;
import org.cottention.harness.data.batch.MqarTask;
import org.cottention.harness.results.Column;
import org.cottention.harness.train.Checkpoint;
import org.cottention.harness.train.Trainer;
import org.cottention.models.GptJ;
import org.cottention.models.LmBatch;
import org.cottention.models.Loss;
import org.cottention.models.ModelConfig;
import org.cottention.models.Pass;
import org.cottention.models.Workspaces;

/**
 * Multi-query associative recall (Zoology's MQAR, {@link MqarTask}): where cosine attention's constant d x d state
 * per head runs out and softmax's growing KV cache does not. Zoology (Arora et al. 2023) found that most of the
 * perplexity gap between attention and sub-quadratic models is recall, and MQAR separates them with tiny models;
 * the Cottention paper did not test it.
 *
 * <p>Models: two-layer GPT-J blocks without the MLP (attention only, as in Zoology's figure 2, whose state mixer is
 * the identity), head dim {@link Size#headDim} (one head at width 64, two at 128), rotary on half of each head,
 * BASELINE init (identical tensors for both attentions), each attention the registry's default causal
 * implementation. As in Zoology's later sweeps and Based's state-size figure, each model trains on a mixture of
 * segments, one value of N key-value pairs per batch in turn, all at length L, and is evaluated on fixed validation
 * and test sets of every N. Two stages, to fit the CPU: seed 1 sweeps the learning rates (one configuration per
 * rate); each later seed (a configuration that runs after the sweep of its attention and width) trains at the rate
 * with the best seed-1 validation accuracy, averaged over N ({@link #chosenLr}). Every point (attention, width, N)
 * is reported at that rate, by its test accuracy per seed. Seed s gives both attentions the same init and the same
 * training batches.
 *
 * <p>State bytes (float32): cosine keeps one dk x dv state per head and layer (layers x H x dk x dv x 4 B); softmax
 * keeps its KV cache at length L (layers x 2 x L x E x 4 B).
 */
public final class RecallExperiment implements Experiment {
    /**
     * What a profile trains: widths E (heads = E / headDim), layers, the sequence length L, the N values, the
     * vocabulary V, the learning rates swept, seeds 1..seeds, optimiser steps and sequences per step, and the
     * batches of the validation and test sets of each N.
     */
    record Size(int[] widths, int headDim, int layers, int seqLen, int[] pairs, int vocab, double[] lrs, int seeds,
                int steps, int batch, int validBatches, int testBatches) {
        Size {
            for (int n : pairs) MqarTask.check(seqLen, n, vocab);
        }

        int heads(int width) {
            return Math.max(1, width / headDim);
        }

        int dim(int width) {
            return width / heads(width);
        }
    }

    static Size size(Profile p) {
        return switch (p) {
            case SMOKE -> new Size(new int[] {32}, 32, 2, 32, new int[] {2, 4}, 64, new double[] {1e-3}, 2, 20, 8, 1, 1);
            // Measured sizes and costs: docs/recall.md (default ~15 min, long ~27 min of single-thread CPU).
            case DEFAULT -> new Size(new int[] {64, 128}, 64, 2, 64, new int[] {2, 4, 8, 16}, 128,
                    new double[] {5e-4, 1e-3, 2e-3}, 2, 1000, 32, 4, 8);
            case LONG -> new Size(new int[] {64, 128}, 64, 2, 64, new int[] {2, 4, 8, 16}, 128,
                    new double[] {5e-4, 1e-3, 2e-3}, 3, 1500, 32, 4, 8);
            case PAPER -> new Size(new int[] {64, 128, 256, 512}, 64, 2, 512, new int[] {8, 16, 32, 64, 128}, 8192,
                    new double[] {1e-4, 4.6e-4, 2.2e-3, 1e-2}, 3, 20_000, 256, 16, 16);
        };
    }

    /** The validation and test sets' seeds: fixed, the same for every run (training batches use the run's seed). */
    static final long VALID_SEED = 1_000_003, TEST_SEED = 2_000_003;
    /** Softmax "still recalls" at N when its mean validation accuracy there is at least this. */
    static final double RECALLS = 0.9;
    /** R1's non-inferiority margin: softmax - cosine test accuracy, in accuracy (5 points). */
    static final double MARGIN = 0.05;

    @Override
    public String name() {
        return "recall";
    }

    @Override
    public String description() {
        return "multi-query associative recall (Zoology's MQAR): accuracy against key-value pairs and state bytes, "
                + "2-layer attention-only GPT-J, cosine vs softmax, at the best rate of a learning-rate sweep";
    }

    @Override
    public List<String> jvmArgs() {
        return List.of("-Xms512m", "-Xmx512m");
    }

    @Override
    public List<Column> columns() {
        return List.of(Column.oneOf("role", SWEEP, REPLICATE).always(), Column.integer("width").positive().always(),
                Column.integer("heads").positive().always(), Column.integer("head_dim").positive().always(),
                Column.integer("layers").positive().always(), Column.integer("seq_len").positive().always(),
                Column.integer("pairs").positive().always(),
                Column.integer("vocab").positive().always(), Column.number("lr").positive().always(),
                Column.integer("steps").positive().required(), Column.integer("batch").positive().required(),
                Column.integer("parameters").positive().required(), Column.integer("diverged_at").positive(),
                Column.number("train_loss"), Column.number("valid_accuracy").required(),
                Column.number("test_accuracy").required(), Column.integer("test_queries").positive().required(),
                Column.integer("state_bytes").positive().required(),
                Column.number("train_cpu_s").positive().required().varies(),
                Column.number("step_cpu_ms").positive().required().varies());
    }

    /** A row's role: a seed-1 run of the learning-rate sweep, or a later seed at the sweep's chosen rate. */
    static final String SWEEP = "sweep", REPLICATE = "replicate";

    /**
     * The sweep (seed 1, every rate, both attentions, every width) first, then the later seeds, each after the
     * sweep of its attention and width.
     */
    @Override
    public List<RunConfig> configs(Profile profile) {
        Size z = size(profile);
        String recipe = recipe(z);
        List<RunConfig> out = new ArrayList<>();
        for (int width : z.widths()) {
            for (double lr : z.lrs()) {
                for (String kind : new String[] {"cosine", "softmax"}) out.add(sweepConfig(recipe, kind, width, lrText(lr)));
            }
        }
        for (int width : z.widths()) {
            for (int seed = 2; seed <= z.seeds(); seed++) {
                for (String kind : new String[] {"cosine", "softmax"}) {
                    String[] sweep = Arrays.stream(z.lrs())
                            .mapToObj(lr -> name() + "/" + sweepConfig(recipe, kind, width, lrText(lr)).key()).toArray(String[]::new);
                    out.add(new RunConfig(String.format(Locale.ROOT, "%s-E%d-seed%d", kind, width, seed),
                            Map.of("attention", kind, "width", Integer.toString(width), "seed", Integer.toString(seed),
                                    "recipe", recipe))
                            .after(sweep));
                }
            }
        }
        return out;
    }

    private static RunConfig sweepConfig(String recipe, String kind, int width, String lr) {
        return new RunConfig(String.format(Locale.ROOT, "%s-E%d-seed1-lr%s", kind, width, lr),
                Map.of("attention", kind, "width", Integer.toString(width), "seed", "1", "lr", lr, "recipe", recipe));
    }

    /**
     * A fingerprint of what a run depends on beyond its parameters: the model and task sizes, the rates swept (a
     * later seed trains at their best), steps, batch and evaluation sets (not the widths or the seed count).
     */
    static String recipe(Size z) {
        return Shards.fingerprint(String.format(Locale.ROOT, "d %d L %d s %d N %s V %d lrs %s steps %d batch %d eval %d %d",
                z.headDim(), z.layers(), z.seqLen(), Arrays.toString(z.pairs()), z.vocab(), Arrays.toString(z.lrs()),
                z.steps(), z.batch(), z.validBatches(), z.testBatches()));
    }

    /**
     * The sweep's choice for one attention and width: the rate whose seed-1 validation accuracy, averaged over the
     * N values, is highest (ties: the smaller rate). rows: that attention and width's sweep rows (others ignored).
     */
    static String chosenLr(List<Map<String, String>> rows) {
        Map<String, double[]> byLr = new TreeMap<>(Comparator.comparingDouble(Double::parseDouble));
        for (Map<String, String> r : rows) {
            boolean usable = SWEEP.equals(r.get("role")) && Column.OK.equals(r.get("status"))
                    && !r.get("valid_accuracy").isEmpty();
            if (!usable) continue;
            double[] a = byLr.computeIfAbsent(r.get("lr"), k -> new double[2]);
            a[0] += Double.parseDouble(r.get("valid_accuracy"));
            a[1]++;
        }
        String best = null;
        double bestMean = Double.NEGATIVE_INFINITY;
        for (var e : byLr.entrySet()) {
            double mean = e.getValue()[0] / e.getValue()[1];
            if (mean > bestMean) {
                bestMean = mean;
                best = e.getKey();
            }
        }
        return best;
    }

    /** One row per N. */
    @Override
    public OptionalInt expectedRows(RunConfig c, Profile profile) {
        return OptionalInt.of(size(profile).pairs().length);
    }

    /**
     * Parameters: the layers (4 E^2 each, no MLP) and the embedding and output layer (2 V E). FLOPs per token: 6 x
     * the layers' parameters, the output layer only on the N queried positions of L, and the attention products
     * (12 x layers x L x E per token: the s x s form for softmax, at most that for cosine's chunks). Working set: 16
     * bytes per parameter and 40 floats of E per token and layer.
     */
    @Override
    public Resources resources(RunConfig c, Profile profile) {
        Size z = size(profile);
        int width = c.getInt("width");
        double layers = Resources.layerParameters(z.layers(), width, 0), embeddings = 2.0 * z.vocab() * width;
        double tokens = (double) z.steps() * z.batch() * z.seqLen();
        double flops = Resources.trainingFlops(layers, tokens) + Resources.trainingFlops(z.vocab() * (double) width, tokens / 4)
                + 12.0 * z.layers() * z.seqLen() * width * tokens;
        double activations = 40.0 * z.batch() * z.seqLen() * z.layers() * width * 4;
        return Resources.estimate(Resources.JVM_MIB, 16 * (layers + embeddings) + activations, flops);
    }

    static String lrText(double lr) {
        return String.format(Locale.ROOT, "%.0e", lr).replace("e-0", "e-");
    }

    /** The model: GPT-J blocks without MLP (intermediate 0), rotary on half of each head, BASELINE init. */
    static ModelConfig modelConfig(Size z, int width) {
        int d = z.dim(width);
        return ModelConfig.gptj(z.vocab(), width, z.layers(), z.heads(width), 0, d / 2, z.seqLen())
                .withProjectionInit(ModelConfig.ProjectionInit.BASELINE);
    }

    /** Bytes of the state a model keeps for recall at length L (float32): see the class comment. */
    static long stateBytes(String kind, Size z, int width) {
        int h = z.heads(width), d = z.dim(width);
        return kind.equals("cosine") ? 4L * z.layers() * h * d * d : 4L * z.layers() * 2 * z.seqLen() * width;
    }

    /** One task per N; training tasks are seeded by the run's seed, the fixed sets by theirs. */
    static List<MqarTask> tasks(Size z, long seed) {
        List<MqarTask> out = new ArrayList<>();
        for (int n : z.pairs()) out.add(new MqarTask(z.batch(), z.seqLen(), n, z.vocab(), MqarTask.POWER_A, Pass.seedFor(seed, n)));
        return out;
    }

    @Override
    public List<Map<String, Object>> run(RunConfig c, Profile profile, Path out, PrintStream log) throws IOException {
        String lr = c.params().get("lr");
        String role = lr != null ? SWEEP : REPLICATE;
        if (lr == null) {
            List<Map<String, String>> sweep = new ArrayList<>();
            for (String id : c.after()) {
                RunConfig s = configs(profile).stream().filter(x -> id.equals(name() + "/" + x.key())).findFirst().orElseThrow();
                sweep.addAll(Experiments.readCsv(Shards.csv(out, this, s)));
            }
            lr = chosenLr(sweep);
            if (lr == null) throw new IllegalStateException(c.key() + ": the sweep it follows has no validation accuracy");
            log.printf(Locale.ROOT, "seed %s at the sweep's chosen rate %s (best seed-1 validation accuracy over N)%n",
                    c.get("seed"), lr);
        }
        List<Map<String, Object>> rows = train(size(profile), c.get("attention"), c.getInt("width"), c.getInt("seed"), lr,
                Experiments.workDir(out, this).resolve(c.key()), log);
        for (Map<String, Object> r : rows) r.put("role", role);
        return rows;
    }

    /**
     * Trains one model (resuming from run/checkpoints) and evaluates it on every N: one row per N. A run that
     * diverges stops there and is evaluated as it is (one point of the sweep, with diverged_at set).
     */
    static List<Map<String, Object>> train(Size z, String kind, int width, int seed, String lrText, Path run,
                                           PrintStream log) throws IOException {
        double lr = Double.parseDouble(lrText);
        Attention attention = ModelRuns.attention(kind, true);
        GptJ model = new GptJ(modelConfig(z, width), attention, seed);
        List<MqarTask> train = tasks(z, seed), valid = tasks(z, VALID_SEED), test = tasks(z, TEST_SEED);
        log.printf(Locale.ROOT, "%s E%d H%d d%d, %d parameters; MQAR L %d, N %s, V %d; %d steps of %d, lr %s, seed %d%n",
                attention.name(), width, z.heads(width), z.dim(width), model.parameters().count(), z.seqLen(),
                Arrays.toString(z.pairs()), z.vocab(), z.steps(), z.batch(), lrText, seed);
        // One validation batch per N during training, for the learning curve (run/curve.csv).
        List<LmBatch> curveSet = new ArrayList<>();
        for (MqarTask t : valid) curveSet.addAll(t.first(1));
        Trainer.Settings s = ModelRuns.settings(z.steps(), lr, Math.max(1, z.steps() / 10), true, seed,
                Math.max(1, z.steps() / 10));
        Path checkpoints = run.resolve("checkpoints");
        long startStep = Checkpoint.exists(checkpoints) ? Checkpoint.loadLatest(checkpoints).state().step() : 0;
        long cpu0 = processCpuNanos();
        Trainer.Outcome o = new Trainer<>(model, MqarTask.interleaved(train), curveSet, s,
                Map.of("experiment", "recall", "attention", kind), checkpoints, run.resolve("curve.csv"), log)
                .stopOnDivergence().run(true, Long.MAX_VALUE);
        // CPU per step over the steps this process trained (a resumed run's earlier steps ran elsewhere).
        long trained = o.steps() - startStep;
        double stepCpuMs = trained > 0 ? (processCpuNanos() - cpu0) / 1e6 / trained : Double.NaN;

        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < z.pairs().length; i++) {
            Evaluation v = evaluate(model, valid.get(i).first(z.validBatches()));
            Evaluation t = evaluate(model, test.get(i).first(z.testBatches()));
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("model", String.format(Locale.ROOT, "gptj-L%d-E%d-H%d-noMLP", z.layers(), width, z.heads(width)));
            r.put("attention", kind);
            r.put("implementation", attention.name());
            r.put("shape", String.format(Locale.ROOT, "L%d E%d H%d d%d no-MLP s%d V%d N%d", z.layers(), width,
                    z.heads(width), z.dim(width), z.seqLen(), z.vocab(), z.pairs()[i]));
            r.put("dtype", "float32");
            r.put("seed", seed);
            r.put("status", "ok");
            r.put("width", width);
            r.put("heads", z.heads(width));
            r.put("head_dim", z.dim(width));
            r.put("layers", z.layers());
            r.put("seq_len", z.seqLen());
            r.put("pairs", z.pairs()[i]);
            r.put("vocab", z.vocab());
            r.put("lr", lrText);
            r.put("steps", z.steps());
            r.put("batch", z.batch());
            r.put("parameters", model.parameters().count());
            if (o.diverged()) r.put("diverged_at", o.divergedAt());
            if (Double.isFinite(o.lastLoss())) r.put("train_loss", o.lastLoss());
            r.put("valid_accuracy", v.accuracy());
            r.put("test_accuracy", t.accuracy());
            r.put("test_queries", t.queries());
            r.put("state_bytes", stateBytes(kind, z, width));
            if (Double.isFinite(stepCpuMs)) {
                r.put("train_cpu_s", stepCpuMs * o.steps() / 1000);
                r.put("step_cpu_ms", stepCpuMs);
            }
            rows.add(r);
            log.printf(Locale.ROOT, "N %d: validation accuracy %.4f, test accuracy %.4f (%d queries)%n", z.pairs()[i],
                    v.accuracy(), t.accuracy(), t.queries());
        }
        log.printf(Locale.ROOT, "training: %.1f ms of process CPU per step over %d steps%n", stepCpuMs, trained);
        return rows;
    }

    record Evaluation(double accuracy, long queries) {}

    /** Accuracy over every labelled position (every query) of the batches; a diverged model's NaN logits count wrong. */
    static Evaluation evaluate(GptJ model, List<LmBatch> batches) {
        long count = 0, correct = 0;
        for (LmBatch b : batches) {
            try (var ws = Workspaces.open("cottention-eval")) {
                Loss l = model.evaluate(b);
                count += l.count();
                correct += l.correct();
            }
        }
        return new Evaluation(count == 0 ? Double.NaN : (double) correct / count, count);
    }

    /** CPU time of this process (every thread: ND4J's, OpenBLAS's, the kernels' pools, the JIT and GC). */
    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    // ---- Aggregation: the best learning rate per point, the curves, the claim ----

    /** One point (attention, width, N) at its chosen learning rate: accuracies by seed. */
    record Best(String attention, int width, int pairs, String lr, double validMean, TreeMap<Integer, Double> test,
                long stateBytes) {
        double testMean() {
            return test.values().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        }
    }

    /**
     * Every point at its attention and width's chosen rate ({@link #chosenLr} on the sweep rows): the test accuracy
     * of every seed at that rate (seed 1 from the sweep, later seeds from their runs) and the mean validation
     * accuracy over those seeds. Ordered by attention, width, N.
     */
    static List<Best> best(List<Map<String, String>> rows) {
        // (attention, width) -> its rows
        Map<String, List<Map<String, String>>> byModel = new TreeMap<>();
        for (Map<String, String> r : rows) {
            if (!Column.OK.equals(r.get("status")) || r.get("valid_accuracy").isEmpty()) continue;
            byModel.computeIfAbsent(String.format(Locale.ROOT, "%s|%06d", r.get("attention"),
                    Integer.parseInt(r.get("width"))), k -> new ArrayList<>()).add(r);
        }
        List<Best> out = new ArrayList<>();
        for (var e : byModel.entrySet()) {
            String lr = chosenLr(e.getValue());
            if (lr == null) continue;
            // N -> seed -> row, at the chosen rate
            Map<Integer, TreeMap<Integer, Map<String, String>>> points = new TreeMap<>();
            for (Map<String, String> r : e.getValue()) {
                if (Double.parseDouble(r.get("lr")) != Double.parseDouble(lr)) continue;
                points.computeIfAbsent(Integer.parseInt(r.get("pairs")), k -> new TreeMap<>())
                        .put(Integer.parseInt(r.get("seed")), r);
            }
            String[] k = e.getKey().split("\\|");
            points.forEach((pairs, seeds) -> {
                TreeMap<Integer, Double> test = new TreeMap<>();
                seeds.forEach((seed, r) -> test.put(seed, Double.parseDouble(r.get("test_accuracy"))));
                double valid = seeds.values().stream().mapToDouble(r -> Double.parseDouble(r.get("valid_accuracy")))
                        .average().orElse(Double.NaN);
                long state = Long.parseLong(seeds.values().iterator().next().get("state_bytes"));
                out.add(new Best(k[0], Integer.parseInt(k[1]), pairs, lr, valid, test, state));
            });
        }
        return out;
    }

    static List<Integer> widths(List<Best> best) {
        return new ArrayList<>(new TreeSet<>(best.stream().map(Best::width).toList()));
    }

    private static Best find(List<Best> best, String attention, int width, int pairs) {
        return best.stream().filter(b -> b.attention().equals(attention) && b.width() == width && b.pairs() == pairs)
                .findFirst().orElse(null);
    }

    /**
     * R1, per width: at the hardest point where softmax still recalls (the largest N whose softmax mean validation
     * accuracy at its chosen rate is at least {@link #RECALLS}), the paired difference softmax - cosine of test
     * accuracy over the seeds both ran (each attention at its own chosen rate), held against a margin of
     * {@link #MARGIN} by {@link Verdict#withinMargin}. Softmax recalling nowhere makes it untestable: the task was
     * not learned at this scale (too few steps or the wrong rates), which says nothing about cosine.
     */
    static List<Claim> recallClaims(List<Map<String, String>> rows) {
        String statement = "Cosine attention recalls as well as softmax at equal width (MQAR, Zoology)";
        String paper = "not tested by the paper; Zoology (Arora et al. 2023): gated-convolution and fixed-state models fall behind "
                + "attention on MQAR as N grows at fixed width";
        List<Best> best = best(rows);
        if (best.isEmpty()) return List.of(Claim.notMeasured("R1", statement, paper, "recall experiment not run"));
        List<Integer> widths = widths(best);
        List<Claim> out = new ArrayList<>();
        for (int w = 0; w < widths.size(); w++) {
            int width = widths.get(w);
            String id = widths.size() == 1 ? "R1" : "R1" + (char) ('a' + w);
            String st = statement + " (E = " + width + ")";
            Best hardest = best.stream().filter(b -> b.attention().equals("softmax") && b.width() == width
                    && b.validMean() >= RECALLS).max(Comparator.comparingInt(Best::pairs)).orElse(null);
            String test = "paired t over seeds: softmax - cosine test accuracy at the largest N where softmax's "
                    + "validation accuracy >= " + RECALLS + ", each attention at its sweep-chosen learning rate";
            String threshold = String.format(Locale.ROOT, "<= %.2f (%.0f points)", MARGIN, 100 * MARGIN);
            if (hardest == null) {
                out.add(new Claim(id, st, paper, test, 0, Double.NaN, Double.NaN, Double.NaN, threshold,
                        Verdict.NOT_TESTABLE, "softmax recalls at no N (validation accuracy < " + RECALLS
                                + "): the task was not learned at this scale, so cosine cannot be compared"));
                continue;
            }
            Best cosine = find(best, "cosine", width, hardest.pairs());
            if (cosine == null) {
                out.add(Claim.notMeasured(id, st, paper, "no cosine rows at E = " + width + ", N = " + hardest.pairs()));
                continue;
            }
            List<Integer> seeds = new ArrayList<>(hardest.test().keySet());
            seeds.retainAll(cosine.test().keySet());
            double[] s = seeds.stream().mapToDouble(x -> hardest.test().get(x)).toArray();
            double[] c = seeds.stream().mapToDouble(x -> cosine.test().get(x)).toArray();
            Stats.Interval gap = Stats.pairedDifference(s, c);
            out.add(Claim.of(id, st, paper, test, gap, threshold, Verdict.withinMargin(gap, MARGIN),
                    String.format(Locale.ROOT, "E = %d, N = %d (L = %s): softmax %.3f (lr %s), cosine %.3f (lr %s), "
                            + "%d seeds; gap %s", width, hardest.pairs(), rows.get(0).get("seq_len"),
                            Arrays.stream(s).average().orElse(Double.NaN), hardest.lr(),
                            Arrays.stream(c).average().orElse(Double.NaN), cosine.lr(), seeds.size(),
                            Verdict.describe(gap, "%.3f"))));
        }
        return out;
    }

    @Override
    public List<Claim> claims(Profile profile, Map<String, List<Map<String, String>>> tables) {
        return recallClaims(tables.getOrDefault(name(), List.of()));
    }

    // ---- Figures and the README section ----

    static String pairsFigure(int width) {
        return "recall_pairs_E" + width + ".png";
    }

    @Override
    public void report(Profile profile, Path results, Path into, List<Map<String, String>> rows) throws IOException {
        List<Best> best = best(rows);
        if (best.isEmpty()) return;
        String setting = String.format(Locale.ROOT, "MQAR L = %s, V = %s; 2-layer attention-only GPT-J", rows.get(0).get("seq_len"),
                rows.get(0).get("vocab"));
        for (int width : widths(best)) {
            Plots.Figure f = Plots.figure("MQAR accuracy vs key-value pairs, E = " + width)
                    .subtitle(setting + "; at the sweep's lr; thin: seeds")
                    .x("key-value pairs N", Plots.Scale.LOG2).y("test accuracy", Plots.Scale.LINEAR);
            for (String kind : new String[] {"softmax", "cosine"}) {
                List<Best> pts = best.stream().filter(b -> b.attention().equals(kind) && b.width() == width).toList();
                for (int seed : seedsOf(pts)) {
                    f.add(Plots.series(kind + " seed " + seed, pts.stream().filter(b -> b.test().containsKey(seed))
                            .map(b -> new double[] {b.pairs(), b.test().get(seed)}).toList()).group(kind).thin().unlisted());
                }
                f.add(Plots.series(kind, pts.stream().map(b -> new double[] {b.pairs(), b.testMean()}).toList()).group(kind));
            }
            f.write(into.resolve(pairsFigure(width)));
        }
        Plots.Figure s = Plots.figure("MQAR accuracy vs state bytes")
                .subtitle(setting + "; cosine: d x d per head, softmax: KV cache at L; thin: seeds")
                .x("state bytes per sequence", Plots.Scale.LOG2)
                .y("test accuracy, mean over N", Plots.Scale.LINEAR);
        for (String kind : new String[] {"softmax", "cosine"}) {
            List<Best> pts = best.stream().filter(b -> b.attention().equals(kind)).toList();
            for (int seed : seedsOf(pts)) {
                s.add(Plots.series(kind + " seed " + seed, statePoints(pts, seed)).group(kind).thin().unlisted());
            }
            s.add(Plots.series(kind, statePoints(pts, -1)).group(kind));
        }
        s.write(into.resolve("recall_state.png"));
    }

    private static List<Integer> seedsOf(List<Best> pts) {
        return new ArrayList<>(new TreeSet<>(pts.stream().flatMap(b -> b.test().keySet().stream()).toList()));
    }

    /** (state bytes, mean test accuracy over N) per width; seed -1: the mean over seeds. */
    private static List<double[]> statePoints(List<Best> pts, int seed) {
        List<double[]> out = new ArrayList<>();
        for (int width : widths(pts)) {
            List<Best> w = pts.stream().filter(b -> b.width() == width && (seed < 0 || b.test().containsKey(seed))).toList();
            if (w.isEmpty()) continue;
            double acc = w.stream().mapToDouble(b -> seed < 0 ? b.testMean() : b.test().get(seed)).average().orElse(Double.NaN);
            out.add(new double[] {w.get(0).stateBytes(), acc});
        }
        return out;
    }

    @Override
    public String markdown(Profile profile, List<Map<String, String>> rows) {
        List<Best> best = best(rows);
        StringBuilder sb = new StringBuilder();
        Map<String, String> first = rows.get(0);
        sb.append(String.format(Locale.ROOT, "Zoology's multi-query associative recall: N key-value pairs, then each key "
                + "queried once (power-law gaps), in sequences of L = %s tokens over V = %s; accuracy = the share of "
                + "queries answered with their value. Each model trains %s steps of %s sequences on a mixture of every N. "
                + "Seed 1 sweeps the learning rate; each (attention, width) is shown at the rate with the best seed-1 "
                + "validation accuracy (mean over N), which the later seeds then train at; accuracy on a separate test "
                + "set, mean [min, max] over seeds. State: cosine's d x d per head and layer, softmax's KV cache at L "
                + "(float32). Every run of the sweep is a row of the table (role sweep).%n%n",
                first.get("seq_len"), first.get("vocab"), first.get("steps"), first.get("batch")));
        sb.append("| width E | heads x d | N | softmax | lr | cosine | lr | softmax KV cache | cosine state |\n")
                .append("|---|---|---|---|---|---|---|---|---|\n");
        for (int width : widths(best)) {
            for (Best sm : best.stream().filter(b -> b.attention().equals("softmax") && b.width() == width).toList()) {
                Best cs = find(best, "cosine", width, sm.pairs());
                Map<String, String> r = rows.stream().filter(x -> x.get("width").equals(Integer.toString(width)))
                        .findFirst().orElseThrow();
                sb.append(String.format(Locale.ROOT, "| %d | %s x %s | %d | %s | %s | %s | %s | %s | %s |%n", width,
                        r.get("heads"), r.get("head_dim"), sm.pairs(), accuracy(sm), sm.lr(),
                        cs == null ? "" : accuracy(cs), cs == null ? "" : cs.lr(), bytes(sm.stateBytes()),
                        cs == null ? "" : bytes(cs.stateBytes())));
            }
        }
        sb.append('\n');
        for (int width : widths(best)) sb.append(Markdown.image(pairsFigure(width), "MQAR accuracy vs pairs, E = " + width));
        sb.append(Markdown.image("recall_state.png", "MQAR accuracy vs state bytes")).append('\n');
        sb.append("Reading the figures: a flat line at 1.0 recalls every pair; where a line falls, that model's state no "
                + "longer tells the N values apart (or it did not learn the lookup at that rate in these steps). The "
                + "state figure puts each (attention, width) at the bytes it keeps per sequence, as Zoology's and "
                + "Based's figures do. Zoology: attention stays near 1.0 while fixed-state models fall as N grows.\n\n");
        sb.append("Cost (process CPU per training step, per configuration, mean over its runs):\n\n")
                .append("| attention | width | steps | ms per step | s per run |\n|---|---|---|---|---|\n");
        Map<String, double[]> cost = new TreeMap<>();
        for (Map<String, String> r : rows) {
            if (r.get("step_cpu_ms").isEmpty() || !r.get("pairs").equals(first.get("pairs"))) continue;
            double[] a = cost.computeIfAbsent(String.format(Locale.ROOT, "%s|%06d|%s", r.get("attention"),
                    Integer.parseInt(r.get("width")), r.get("steps")), k -> new double[3]);
            a[0] += Double.parseDouble(r.get("step_cpu_ms"));
            a[1] += Double.parseDouble(r.get("train_cpu_s"));
            a[2]++;
        }
        cost.forEach((k, a) -> {
            String[] f = k.split("\\|");
            sb.append(String.format(Locale.ROOT, "| %s | %d | %s | %.1f | %.1f |%n", f[0], Integer.parseInt(f[1]), f[2],
                    a[0] / a[2], a[1] / a[2]));
        });
        return sb.toString();
    }

    private static String accuracy(Best b) {
        double min = b.test().values().stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
        double max = b.test().values().stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        return b.test().size() == 1 ? String.format(Locale.ROOT, "%.3f", b.testMean())
                : String.format(Locale.ROOT, "%.3f [%.3f, %.3f]", b.testMean(), min, max);
    }

    private static String bytes(long b) {
        return b >= 1024 ? String.format(Locale.ROOT, "%.0f KiB", b / 1024.0) : b + " B";
    }
}
