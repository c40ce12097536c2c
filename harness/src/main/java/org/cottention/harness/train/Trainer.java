package org.cottention.harness.train;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.cottention.api.Nd;
import org.cottention.harness.data.batch.BatchSource;
import org.cottention.harness.io.AtomicFiles;
import org.cottention.harness.results.Progress;
import org.cottention.models.Loss;
import org.cottention.models.Model;
import org.cottention.models.Parameter;
import org.cottention.models.Pass;
import org.cottention.models.Workspaces;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The training loop, the same for every model and attention: per step, k micro-batches (forward + backward, each in
 * a workspace, gradients accumulated with scale 1/k), optional clipping of the global gradient norm, one AdamW
 * update at lr * schedule(step). Held-out evaluation, checkpoints and the learning-curve CSV at set intervals.
 * Micro-batch i of the run uses batch source index i and dropout seed Pass.seedFor(seed, i), so a resumed run is
 * the uninterrupted run.
 */
public final class Trainer<B> {

    /**
     * @param steps           optimiser updates
     * @param accumulation    micro-batches per update
     * @param learningRate    peak rate
     * @param schedule        warmup and decay
     * @param clipNorm        max global gradient L2 norm, or 0 for no clipping (the reference does not clip)
     * @param adam            AdamW hyper-parameters
     * @param seed            the run's seed (dropout masks; the model init and the data have their own)
     * @param logEvery        print a line every this many steps
     * @param evalEvery       held-out evaluation every this many steps (and at the end); 0 = only at the end
     * @param checkpointEvery checkpoint every this many steps (and at the end) when a directory is given
     */
    public record Settings(long steps, int accumulation, double learningRate, LinearSchedule schedule, double clipNorm,
                           AdamW.Config adam, long seed, int logEvery, int evalEvery, int checkpointEvery) {
        public Settings {
            if (steps <= 0 || accumulation <= 0) throw new IllegalArgumentException("steps and accumulation must be positive");
            if (!(learningRate >= 0) || !(clipNorm >= 0)) throw new IllegalArgumentException("lr and clip must be >= 0");
            if (logEvery <= 0 || evalEvery < 0 || checkpointEvery <= 0) throw new IllegalArgumentException("intervals must be positive");
        }

        /** The settings that define the run's trajectory (a resumed run must match them). */
        public Map<String, String> toMap() {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("steps", Long.toString(steps));
            m.put("accumulation", Integer.toString(accumulation));
            m.put("lr", Double.toString(learningRate));
            m.put("warmup", Long.toString(schedule.warmup()));
            m.put("decay", Boolean.toString(schedule.decay()));
            m.put("clip", Double.toString(clipNorm));
            m.put("beta1", Double.toString(adam.beta1()));
            m.put("beta2", Double.toString(adam.beta2()));
            m.put("eps", Double.toString(adam.eps()));
            m.put("weight_decay", Double.toString(adam.weightDecay()));
            m.put("decay_on", adam.decayOn().name());
            m.put("seed", Long.toString(seed));
            return m;
        }
    }

    /**
     * What a run measured. tokensPerSecond: positions (padding included) per second, median over steps after the
     * first few (the warm-up); realTokensPerSecond the same for real tokens. divergedAt: the step at which the run
     * diverged and stopped (see {@link #stopOnDivergence}), or -1; divergence says how.
     */
    public record Outcome(long steps, double lastLoss, double heldOutLoss, double heldOutAccuracy,
                          double medianTokensPerSecond, long peakRssBytes, long rssBytes, List<String> curve,
                          double realTokensPerSecond, long divergedAt, String divergence) {
        public boolean diverged() {
            return divergedAt >= 0;
        }
    }

    /**
     * The learning curve's columns (others parse them: add new ones at the end only). tokens_per_s is the step's
     * own rate; tokens_per_s_smoothed its moving average over {@link Progress#WINDOW} steps, and eta_s the
     * estimated seconds to the last step.
     */
    static final String[] COLUMNS = {"step", "lr", "train_loss", "train_main_loss", "train_accuracy", "grad_norm",
        "eval_loss", "eval_accuracy", "eval_perplexity", "tokens_per_s", "rss_mb", "peak_rss_mb", "jvm_heap_mb", "elapsed_s",
        "sigma_m_mean", "tokens_per_s_smoothed", "eta_s", "sigma_m_min", "sigma_m_max", "sigma_m_layers",
        "real_tokens_per_s"};

    /** Steps over which the training loss is averaged when it is checked against the first step's loss. */
    static final int DIVERGENCE_WINDOW = 10;

    private final Model<B> model;
    private final BatchSource<B> source;
    private final List<B> heldOut;
    private final Settings settings;
    private final Map<String, String> runInfo;
    private final Path checkpointDir, curveFile;
    private final PrintStream out;
    private final AdamW optimizer;
    private boolean stopOnDivergence;

    /**
     * @param runInfo       settings outside Settings that define the run (model config, attention, data...), stored
     *                      in checkpoints and compared on resume
     * @param checkpointDir where checkpoints go, or null
     * @param curveFile     the learning-curve CSV, or null
     */
    public Trainer(Model<B> model, BatchSource<B> source, List<B> heldOut, Settings settings, Map<String, String> runInfo,
                   Path checkpointDir, Path curveFile, PrintStream out) {
        this.model = model;
        this.source = source;
        this.heldOut = heldOut;
        this.settings = settings;
        this.runInfo = runInfo;
        this.checkpointDir = checkpointDir;
        this.curveFile = curveFile;
        this.out = out;
        this.optimizer = new AdamW(model.parameters(), settings.adam());
    }

    public Model<B> model() {
        return model;
    }

    public AdamW optimizer() {
        return optimizer;
    }

    /**
     * Makes a diverging run an outcome instead of an error: training stops and {@link Outcome#divergedAt} says when.
     * A run diverges when its loss is not finite, or when, after the warmup, its training loss averaged over the last
     * {@link #DIVERGENCE_WINDOW} steps exceeds the first step's loss. Without this, a non-finite loss throws.
     */
    public Trainer<B> stopOnDivergence() {
        this.stopOnDivergence = true;
        return this;
    }

    /** All settings stored in a checkpoint. */
    Map<String, String> allSettings() {
        Map<String, String> m = new TreeMap<>();
        settings.toMap().forEach((k, v) -> m.put("train." + k, v));
        runInfo.forEach((k, v) -> m.put("run." + k, v));
        model.config().toMap().forEach((k, v) -> m.put("model." + k, v));
        return m;
    }

    /**
     * Trains from step 0, or from the latest checkpoint when resume is set and one exists (its settings must equal
     * this run's). Stops early, with an IllegalStateException, if the loss stops being finite.
     *
     * @param stopAfter stop after this many steps of this call even if the run is not finished (to test resuming);
     *                  Long.MAX_VALUE to run to the end
     */
    public Outcome run(boolean resume, long stopAfter) throws IOException {
        long start = 0;
        double elapsedBefore = 0;
        List<String> curve = new ArrayList<>();
        curve.add(String.join(",", COLUMNS));
        if (resume && checkpointDir != null && Checkpoint.exists(checkpointDir)) {
            Checkpoint.Loaded c = Checkpoint.loadLatest(checkpointDir);
            requireSameSettings(c);
            Checkpoint.restore(c, model.parameters(), optimizer);
            start = c.state().step();
            curve = new ArrayList<>(c.state().curve());
            elapsedBefore = lastElapsed(curve);
            out.printf("resumed from %s at step %d (data position %d micro-batches)%n", c.path(), start,
                    start * settings.accumulation());
        }
        long end = stopAfter >= settings.steps() - start ? settings.steps() : start + Math.max(0, stopAfter);
        if (start >= settings.steps()) {
            out.printf("the checkpoint is at the final step %d: nothing to train; evaluating it%n", start);
            double[] e = heldOut == null || heldOut.isEmpty() ? new double[] {Double.NaN, Double.NaN} : evaluate();
            String[] last = curve.get(curve.size() - 1).split(",", -1);
            return new Outcome(start, Double.parseDouble(last[2]), e[0], e[1], Double.NaN, ProcessMemory.peakRssBytes(),
                    ProcessMemory.rssBytes(), curve, Double.NaN, -1, "");
        }
        List<Double> speeds = new ArrayList<>(), realSpeeds = new ArrayList<>();
        double lastLoss = Double.NaN, evalLoss = Double.NaN, evalAccuracy = Double.NaN;
        double firstLoss = curve.size() > 1 ? Double.parseDouble(curve.get(1).split(",", -1)[2]) : Double.NaN;
        java.util.ArrayDeque<Double> recent = new java.util.ArrayDeque<>();
        long divergedAt = -1;
        String divergence = "";
        long runStart = System.nanoTime();
        Progress progress = new Progress("train", end - start, out);
        Progress.Average secondsPerStep = new Progress.Average(Progress.WINDOW);
        for (long step = start; step < end; step++) {
            long t0 = System.nanoTime();
            double lr = settings.learningRate() * settings.schedule().factor(step);
            model.parameters().zeroGrads();
            double loss = 0, main = 0;
            long count = 0, correct = 0, positions = 0, real = 0;
            for (int micro = 0; micro < settings.accumulation(); micro++) {
                long index = step * settings.accumulation() + micro;
                B batch = source.batch(index);
                Loss l;
                try (MemoryWorkspace ws = Workspaces.open("cottention-train")) {
                    l = model.trainStep(batch, 1.0 / settings.accumulation(), Pass.training(Pass.seedFor(settings.seed(), index)));
                }
                loss += l.value() / settings.accumulation();
                main += l.main() / settings.accumulation();
                count += l.count();
                correct += l.correct();
                positions += model.positions(batch);
                real += model.realTokens(batch);
            }
            if (!Double.isFinite(loss)) {
                if (!stopOnDivergence) {
                    throw new IllegalStateException("the loss is " + loss + " at step " + step + "; lower --lr or add --clip");
                }
                divergedAt = step + 1;
                divergence = "the training loss is " + loss + " at step " + (step + 1);
                out.println("diverged: " + divergence);
                break;
            }
            if (Double.isNaN(firstLoss)) firstLoss = loss;
            recent.addLast(loss);
            if (recent.size() > DIVERGENCE_WINDOW) recent.removeFirst();
            double recentMean = recent.stream().mapToDouble(Double::doubleValue).average().orElse(loss);
            if (stopOnDivergence && step >= settings.schedule().warmup() && recent.size() == DIVERGENCE_WINDOW
                    && recentMean > firstLoss) {
                divergedAt = step + 1;
                divergence = String.format(java.util.Locale.ROOT, "after the warmup the training loss (mean of the last "
                        + "%d steps %.4f) exceeds the first step's %.4f, at step %d", DIVERGENCE_WINDOW, recentMean,
                        firstLoss, step + 1);
                out.println("diverged: " + divergence);
                break;
            }
            double gradNorm;
            try (MemoryWorkspace ws = Workspaces.open("cottention-update")) {
                INDArray g = model.parameters().grads();
                gradNorm = g.norm2Number().doubleValue();
                if (settings.clipNorm() > 0 && gradNorm > settings.clipNorm()) g.muli(settings.clipNorm() / (gradNorm + 1e-6));
                optimizer.step(lr);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            double tokensPerSecond = positions / seconds;
            if (step - start >= 3) {                                             // the first steps warm up the JIT and workspaces
                speeds.add(tokensPerSecond);
                realSpeeds.add(real / seconds);
            }
            double smoothed = positions / secondsPerStep.add(seconds);
            lastLoss = loss;
            long done = step + 1;
            boolean last = done == settings.steps();
            String evalLossText = "", evalAccText = "", pplText = "";
            if (heldOut != null && !heldOut.isEmpty() && (last || settings.evalEvery() > 0 && done % settings.evalEvery() == 0)) {
                double[] e = evaluate();
                evalLoss = e[0];
                evalAccuracy = e[1];
                evalLossText = fmt(evalLoss);
                evalAccText = fmt(evalAccuracy);
                pplText = fmt(Math.exp(evalLoss));
            }
            double elapsed = elapsedBefore + (System.nanoTime() - runStart) / 1e9;
            long rss = ProcessMemory.rssBytes(), peak = ProcessMemory.peakRssBytes();
            double[] sigma = stabilizerSummary(model);
            progress.advance(done - start, String.format("loss %.4f  %.0f tok/s", loss, smoothed));
            java.time.Duration left = progress.left();
            curve.add(String.join(",", Long.toString(done), fmt(lr), fmt(loss), fmt(main),
                    fmt(count == 0 ? Double.NaN : (double) correct / count), fmt(gradNorm), evalLossText, evalAccText,
                    pplText, String.format("%.1f", tokensPerSecond), mb(rss), mb(peak), mb(Runtime.getRuntime().totalMemory()),
                    String.format("%.2f", elapsed), fmt(sigma[1]), String.format("%.1f", smoothed),
                    left == null ? "" : Long.toString(left.toSeconds()), fmt(sigma[0]), fmt(sigma[2]),
                    stabilizerByLayer(model), String.format("%.1f", real / seconds)));
            if (done % settings.logEvery() == 0 || last || done == end) {
                progress.line(String.format("step %d/%d  loss %.4f  lr %.3g  |g| %.3g  %.0f tok/s (this step %.0f)  "
                                + "rss %s MB  peak %s MB%s%s", done, settings.steps(), loss, lr, gradNorm, smoothed,
                        tokensPerSecond, mb(rss), mb(peak),
                        evalLossText.isEmpty() ? "" : "  held-out loss " + evalLossText + " acc " + evalAccText,
                        left == null || last ? "" : "  ETA " + Progress.format(left)));
                writeCurve(curve);
            }
            if (checkpointDir != null && (done % settings.checkpointEvery() == 0 || last)) {
                Checkpoint.save(checkpointDir, model.parameters(), optimizer,
                        new Checkpoint.State(done, optimizer.steps(), allSettings(), curve));
            }
        }
        progress.finish(null);
        writeCurve(curve);
        if (divergedAt >= 0 && checkpointDir != null) {   // the state at the divergence: a rerun reports it again
            Checkpoint.save(checkpointDir, model.parameters(), optimizer,
                    new Checkpoint.State(divergedAt - 1, optimizer.steps(), allSettings(), curve));
        }
        double median = median(speeds);
        return new Outcome(divergedAt >= 0 ? divergedAt : end, lastLoss, evalLoss, evalAccuracy, median,
                ProcessMemory.peakRssBytes(), ProcessMemory.rssBytes(), curve, median(realSpeeds), divergedAt, divergence);
    }

    /**
     * {min, mean, max} of sigma(m) over every head of every layer (the exponent of cosine attention's divisor,
     * 0.622 at init); NaN for a model without m (softmax).
     */
    public static double[] stabilizerSummary(Model<?> model) {
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, sum = 0;
        long count = 0;
        for (Parameter p : model.parameters().list()) {
            if (!p.name().endsWith(".m")) continue;
            for (double m : Nd.toDoubles(p.value())) {
                double s = 1 / (1 + Math.exp(-m));
                min = Math.min(min, s);
                max = Math.max(max, s);
                sum += s;
                count++;
            }
        }
        return count == 0 ? new double[] {Double.NaN, Double.NaN, Double.NaN} : new double[] {min, sum / count, max};
    }

    /**
     * sigma(m) per layer as "mean/min/max" joined by ';' in layer order (the layer is the number in the parameter's
     * name, e.g. transformer.h.3.attn.m); empty for a model without m.
     */
    public static String stabilizerByLayer(Model<?> model) {
        java.util.TreeMap<Integer, List<Double>> byLayer = new java.util.TreeMap<>();
        for (Parameter p : model.parameters().list()) {
            if (!p.name().endsWith(".m")) continue;
            java.util.regex.Matcher mm = java.util.regex.Pattern.compile("\\.(\\d+)\\.").matcher(p.name());
            int layer = mm.find() ? Integer.parseInt(mm.group(1)) : 0;
            for (double m : Nd.toDoubles(p.value())) byLayer.computeIfAbsent(layer, k -> new ArrayList<>()).add(1 / (1 + Math.exp(-m)));
        }
        StringBuilder sb = new StringBuilder();
        for (List<Double> s : byLayer.values()) {
            if (sb.length() > 0) sb.append(';');
            sb.append(String.format(java.util.Locale.ROOT, "%.5f/%.5f/%.5f", s.stream().mapToDouble(x -> x).average().orElse(0),
                    s.stream().mapToDouble(x -> x).min().orElse(0), s.stream().mapToDouble(x -> x).max().orElse(0)));
        }
        return sb.toString();
    }

    /** Mean held-out main loss (weighted by predictions) and accuracy. */
    public double[] evaluate() {
        return evaluate(model, heldOut);
    }

    /** Mean main loss of a model over batches (weighted by predictions) and accuracy; NaN for no predictions. */
    public static <B> double[] evaluate(Model<B> model, List<B> heldOut) {
        double lossSum = 0;
        long count = 0, correct = 0;
        for (B b : heldOut) {
            try (MemoryWorkspace ws = Workspaces.open("cottention-eval")) {
                Loss l = model.evaluate(b);
                lossSum += l.main() * l.count();
                count += l.count();
                correct += l.correct();
            }
        }
        return new double[] {count == 0 ? Double.NaN : lossSum / count, count == 0 ? Double.NaN : (double) correct / count};
    }

    private void requireSameSettings(Checkpoint.Loaded c) throws Checkpoint.CheckpointException {
        Map<String, String> now = allSettings(), then = c.state().settings();
        for (String key : now.keySet()) {
            if (!now.get(key).equals(then.get(key))) {
                throw new Checkpoint.CheckpointException(c.path() + ": was written with " + key + "=" + then.get(key)
                        + ", this run has " + now.get(key) + "; resume with the same settings or use another --checkpoint DIR");
            }
        }
    }

    private void writeCurve(List<String> curve) throws IOException {
        if (curveFile != null) AtomicFiles.writeString(curveFile, String.join("\n", curve) + "\n");
    }

    private static double lastElapsed(List<String> curve) {
        if (curve.size() < 2) return 0;
        String[] f = curve.get(curve.size() - 1).split(",", -1);
        return Double.parseDouble(f[java.util.Arrays.asList(COLUMNS).indexOf("elapsed_s")]);
    }

    static double median(List<Double> xs) {
        if (xs.isEmpty()) return Double.NaN;
        double[] a = xs.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    private static String fmt(double x) {
        return Double.isNaN(x) ? "" : String.format("%.6g", x);
    }

    private static String mb(long bytes) {
        return bytes < 0 ? "" : String.format("%.1f", bytes / 1048576.0);
    }
}
