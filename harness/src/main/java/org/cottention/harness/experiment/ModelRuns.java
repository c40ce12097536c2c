package org.cottention.harness.experiment;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cottention.api.Attention;
import org.cottention.api.AttentionKind;
import org.cottention.harness.attention.AttentionRegistry;
import org.cottention.harness.data.batch.BatchSource;
import org.cottention.harness.train.AdamW;
import org.cottention.harness.train.LinearSchedule;
import org.cottention.harness.train.Trainer;
import org.cottention.models.Model;
import org.cottention.models.Parameter;

/** What the model experiments share: data sources for the trainer, settings, one resumable training run. */
final class ModelRuns {
    private ModelRuns() {}

    /** The attention of a model experiment: the default (fastest) CPU implementation of the kind. */
    static Attention attention(String kind, boolean causal) {
        return AttentionRegistry.defaultFor(AttentionKind.valueOf(kind.toUpperCase()), causal).create(causal, 64);
    }

    /** The reference recipe's optimiser (AdamW 0.9/0.999, eps 1e-7, wd 0.01 on all parameters), no clipping. */
    static Trainer.Settings settings(long steps, double lr, long warmup, boolean decay, long seed, int evalEvery) {
        return new Trainer.Settings(steps, 1, lr, new LinearSchedule(warmup, steps, decay), 0, AdamW.Config.reference(),
                seed, Math.max(1, (int) Math.min(Integer.MAX_VALUE, steps / 10)), evalEvery, Math.max(1, (int) (steps / 4)));
    }

    /** Trains (resuming from run/checkpoints when a checkpoint is there); the curve goes to run/curve.csv. */
    static <B> Trainer.Outcome train(Model<B> model, BatchSource<B> source, List<B> heldOut, Trainer.Settings s,
                                     Map<String, String> runInfo, Path run, PrintStream log) throws IOException {
        return new Trainer<>(model, source, heldOut, s, runInfo, run.resolve("checkpoints"), run.resolve("curve.csv"), log)
                .run(true, Long.MAX_VALUE);
    }

    /** Every stabiliser parameter m of a model: name -> values (H). */
    static Map<String, double[]> stabilisers(Model<?> model) {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (Parameter p : model.parameters().list()) {
            if (p.name().endsWith(".m")) out.put(p.name(), org.cottention.api.Nd.toDoubles(p.value()));
        }
        return out;
    }

    /**
     * Training throughput: the trainer's median tokens/s over this process's steps; when it timed too few (a run
     * resumed near its end from a checkpoint), the median of the steps the learning curve recorded, before the
     * interruption too; NaN when there is none.
     */
    static double tokensPerSecond(Trainer.Outcome o) {
        return Double.isFinite(o.medianTokensPerSecond()) ? o.medianTokensPerSecond() : curveMedian(o, "tokens_per_s");
    }

    /** The same for real (unpadded) tokens per second. */
    static double realTokensPerSecond(Trainer.Outcome o) {
        return Double.isFinite(o.realTokensPerSecond()) ? o.realTokensPerSecond() : curveMedian(o, "real_tokens_per_s");
    }

    /** Median of a learning-curve column over the steps after the first 3 (the trainer's warm-up); NaN if none. */
    private static double curveMedian(Trainer.Outcome o, String name) {
        List<String> curve = o.curve();
        if (curve.isEmpty()) return Double.NaN;
        int column = List.of(curve.get(0).split(",")).indexOf(name);
        if (column < 0) return Double.NaN;
        double[] speeds = curve.stream().skip(4).map(l -> l.split(",", -1)).filter(f -> f.length > column)
                .map(f -> f[column]).filter(v -> !v.isEmpty()).mapToDouble(Double::parseDouble)
                .filter(Double::isFinite).sorted().toArray();
        if (speeds.length == 0) return Double.NaN;
        return speeds.length % 2 == 1 ? speeds[speeds.length / 2] : (speeds[speeds.length / 2 - 1] + speeds[speeds.length / 2]) / 2;
    }

    /** Mean of sigma(m) over every head of every layer, or null for a model without m (the cell stays empty). */
    static Double meanSigma(Model<?> model) {
        double sum = 0;
        int n = 0;
        for (double[] m : stabilisers(model).values()) {
            for (double x : m) {
                sum += 1 / (1 + Math.exp(-x));
                n++;
            }
        }
        return n == 0 ? null : sum / n;
    }

    /** A learning-curve cell as a table value: a number (NaN and infinities are written empty), or empty. */
    static Object number(String cell) {
        return cell.isEmpty() ? "" : Double.parseDouble(cell);
    }
}
