package org.cottention.harness.experiment;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.cottention.api.Attention;
import org.cottention.api.AttentionKind;
import org.cottention.harness.attention.AttentionRegistry;
import org.cottention.harness.data.batch.Batches;
import org.cottention.harness.model.Model;
import org.cottention.harness.model.Parameter;
import org.cottention.harness.model.Pass;
import org.cottention.harness.train.AdamW;
import org.cottention.harness.train.BatchSource;
import org.cottention.harness.train.LinearSchedule;
import org.cottention.harness.train.Trainer;

/** What the model experiments share: data sources for the trainer, settings, one resumable training run. */
final class ModelRuns {
    private ModelRuns() {}

    /** The attention of a model experiment: the default (fastest) CPU implementation of the kind. */
    static Attention attention(String kind, boolean causal) {
        return AttentionRegistry.defaultFor(AttentionKind.valueOf(kind.toUpperCase()), causal).create(causal, 64);
    }

    /**
     * Batch i draws batchSize examples with replacement (as the reference trainers sample) from a generator
     * seeded by (seed, i): the same for both attentions, and the same after a resume.
     */
    static <B> BatchSource<B> sampled(Batches<B> builder, int batchSize, long seed) {
        int n = builder.size();
        if (n == 0) throw new IllegalStateException("no training examples");
        return index -> {
            SplittableRandom rng = new SplittableRandom(Pass.seedFor(seed, index));
            int[] idx = new int[batchSize];
            for (int i = 0; i < batchSize; i++) idx[i] = rng.nextInt(n);
            return builder.batch(idx, rng);
        };
    }

    /** The first `limit` batches of the held-out examples in order (evaluation: the same for every run). */
    static <B> List<B> heldOut(Batches<B> builder, int batchSize, int limit, long seed) {
        List<B> out = new ArrayList<>();
        for (B b : builder.inOrder(batchSize, seed)) {
            if (out.size() == limit) break;
            out.add(b);
        }
        return out;
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

    /** Mean of sigma(m) over every head of every layer, or NaN for a model without m. */
    static double meanSigma(Model<?> model) {
        double sum = 0;
        int n = 0;
        for (double[] m : stabilisers(model).values()) {
            for (double x : m) {
                sum += 1 / (1 + Math.exp(-x));
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }
}
