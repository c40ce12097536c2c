package org.cottention.harness.data.batch;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.cottention.models.CrossEntropy;
import org.cottention.models.LmBatch;
import org.cottention.models.Pass;

/**
 * The copy task of backend-notes.md: a block of {@code block} tokens drawn uniformly from {@code symbols} symbols,
 * repeated to fill s + 1 tokens; predict the next token everywhere. The first block is unpredictable (loss ln
 * symbols), every later token is a copy of the token {@code block} positions back, so the optimum of the mean loss
 * is (block - 1) / s * ln(symbols) and a model that cannot retrieve stays at the unigram floor ln(symbols).
 * Held-out batches label only the copyable positions (t >= block - 1): their accuracy is the copy accuracy.
 */
public final class CopyTask implements BatchSource<LmBatch> {
    private final int batch, length, block, symbols;
    private final long seed;

    public CopyTask(int batch, int length, int block, int symbols, long seed) {
        if (block < 1 || block >= length) throw new IllegalArgumentException("block must be in [1, s), got " + block);
        if (symbols < 2 || symbols > 256) throw new IllegalArgumentException("symbols must be in [2, 256], got " + symbols);
        this.batch = batch;
        this.length = length;
        this.block = block;
        this.symbols = symbols;
        this.seed = seed;
    }

    @Override
    public LmBatch batch(long index) {
        return make(new SplittableRandom(Pass.seedFor(seed, index)), false);
    }

    /** count fixed batches labelled only where the token is a copy. */
    public List<LmBatch> heldOut(int count) {
        List<LmBatch> out = new ArrayList<>();
        for (int i = 0; i < count; i++) out.add(make(new SplittableRandom(Pass.seedFor(seed, -1 - i)), true));
        return out;
    }

    /** The best achievable mean training loss, (block - 1) / s * ln(symbols). */
    public double optimalLoss() {
        return (block - 1.0) / length * Math.log(symbols);
    }

    private LmBatch make(SplittableRandom rng, boolean copiesOnly) {
        int[][] ids = new int[batch][length], labels = new int[batch][length];
        for (int i = 0; i < batch; i++) {
            int[] pattern = new int[block];
            for (int j = 0; j < block; j++) pattern[j] = rng.nextInt(symbols);
            for (int t = 0; t < length; t++) {
                ids[i][t] = pattern[t % block];
                labels[i][t] = copiesOnly && t < block - 1 ? CrossEntropy.IGNORE : pattern[(t + 1) % block];
            }
        }
        return new LmBatch(ids, null, labels);
    }
}
