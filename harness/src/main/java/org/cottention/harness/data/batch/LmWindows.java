package org.cottention.harness.data.batch;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.cottention.models.LmBatch;
import org.cottention.models.Pass;

/**
 * Causal-LM batches from a token stream: N windows of s + 1 tokens at random offsets; ids = window[0, s), labels =
 * window[1, s] (predict the next token at every position). Held-out batches tile the held-out stream without
 * overlap, in order.
 */
public final class LmWindows implements BatchSource<LmBatch> {
    private final int[] tokens;
    private final int batch, length;
    private final long seed;

    public LmWindows(int[] tokens, int batch, int length, long seed) {
        if (tokens.length < length + 2) {
            throw new IllegalArgumentException("text of " + tokens.length + " tokens is too short for windows of " + (length + 1));
        }
        this.tokens = tokens;
        this.batch = batch;
        this.length = length;
        this.seed = seed;
    }

    @Override
    public LmBatch batch(long index) {
        SplittableRandom rng = new SplittableRandom(Pass.seedFor(seed, index));
        int[][] ids = new int[batch][], labels = new int[batch][];
        for (int i = 0; i < batch; i++) {
            int start = rng.nextInt(tokens.length - length);
            ids[i] = window(tokens, start, length);
            labels[i] = window(tokens, start + 1, length);
        }
        return new LmBatch(ids, null, labels);
    }

    /** Consecutive non-overlapping windows of the held-out tokens, at most maxBatches batches. */
    public static List<LmBatch> heldOut(int[] tokens, int batch, int length, int maxBatches) {
        List<LmBatch> out = new ArrayList<>();
        int start = 0;
        while (out.size() < maxBatches && start + (long) batch * length + 1 <= tokens.length) {
            int[][] ids = new int[batch][], labels = new int[batch][];
            for (int i = 0; i < batch; i++, start += length) {
                ids[i] = window(tokens, start, length);
                labels[i] = window(tokens, start + 1, length);
            }
            out.add(new LmBatch(ids, null, labels));
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("held-out text of " + tokens.length + " tokens is shorter than one batch of "
                    + batch + " x " + length + "; use a longer text or a smaller --batch/--seq");
        }
        return out;
    }

    static int[] window(int[] tokens, int start, int length) {
        int[] w = new int[length];
        System.arraycopy(tokens, start, w, 0, length);
        return w;
    }
}
