package org.cottention.harness.data.batch;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.cottention.models.CrossEntropy;
import org.cottention.models.MlmBatch;
import org.cottention.models.Pass;

/**
 * Masked-LM batches of full windows of a token stream, without next-sentence prediction (RoBERTa's FULL-SENTENCES
 * input, Liu et al. 2019): every sequence is [CLS] tokens[a, a + length - 2) [SEP], so no position is padding;
 * token types are all 0. The stream's ids are text ids 0..V-1, with the specials after them as in {@link ByteText}
 * (bytes: V = 256): [PAD] V, [CLS] V+1, [SEP] V+2, [MASK] V+3. Each token is a target with probability maskRate
 * (BERT: 0.15) under BERT's 80/10/10 rule ({@link MlmBatches#maskPosition}; a uniformly random text id as the
 * random token); labels IGNORE elsewhere. Training windows start anywhere in the stream (batch b from a generator
 * seeded by (seed, b)); the held-out windows are evenly spaced over the held-out stream, the same for every run
 * given the seed.
 */
public final class MlmWindows implements BatchSource<MlmBatch> {
    private final int[] tokens;
    private final int textVocab, batch, length;
    private final double maskRate;
    private final long seed;

    /** Byte-level windows (V = 256). */
    public MlmWindows(int[] tokens, int batch, int length, double maskRate, long seed) {
        this(tokens, 256, batch, length, maskRate, seed);
    }

    public MlmWindows(int[] tokens, int textVocab, int batch, int length, double maskRate, long seed) {
        if (length < 3) throw new IllegalArgumentException("MLM windows need at least 3 positions, got " + length);
        if (tokens.length < length) {
            throw new IllegalArgumentException("text of " + tokens.length + " bytes is too short for windows of " + length);
        }
        if (!(maskRate > 0 && maskRate < 1)) throw new IllegalArgumentException("mask rate must be in (0, 1): " + maskRate);
        for (int t : tokens) {
            if (t < 0 || t >= textVocab) {
                throw new IllegalArgumentException("the stream holds id " + t + " outside the text ids 0.." + (textVocab - 1));
            }
        }
        this.tokens = tokens;
        this.textVocab = textVocab;
        this.batch = batch;
        this.length = length;
        this.maskRate = maskRate;
        this.seed = seed;
    }

    @Override
    public MlmBatch batch(long index) {
        SplittableRandom rng = new SplittableRandom(Pass.seedFor(seed, index));
        int[] starts = new int[batch];
        for (int i = 0; i < batch; i++) starts[i] = rng.nextInt(tokens.length - (length - 2) + 1);
        return make(starts, rng);
    }

    /**
     * count batches of windows spaced evenly over the whole stream (window k of count * batch starts at
     * k * (n - length + 2) / (count * batch)), masked from a generator seeded with seed: the held-out set.
     */
    public List<MlmBatch> heldOut(int count) {
        List<MlmBatch> out = new ArrayList<>();
        long windows = (long) count * batch, room = tokens.length - (length - 2);
        SplittableRandom rng = new SplittableRandom(seed);
        for (int c = 0; c < count; c++) {
            int[] starts = new int[batch];
            for (int i = 0; i < batch; i++) starts[i] = (int) ((c * (long) batch + i) * room / windows);
            out.add(make(starts, rng.split()));
        }
        return out;
    }

    private MlmBatch make(int[] starts, SplittableRandom rng) {
        int[][] ids = new int[batch][length], types = new int[batch][length], labels = new int[batch][length];
        float[][] mask = new float[batch][length];
        int labelled = 0;
        for (int i = 0; i < batch; i++) {
            ids[i][0] = textVocab + 1;                                // [CLS]
            System.arraycopy(tokens, starts[i], ids[i], 1, length - 2);
            ids[i][length - 1] = textVocab + 2;                       // [SEP]
            java.util.Arrays.fill(mask[i], 1f);
            java.util.Arrays.fill(labels[i], CrossEntropy.IGNORE);
            for (int j = 1; j < length - 1; j++) {
                if (MlmBatches.maskPosition(ids[i], labels[i], j, rng, maskRate, textVocab + 3, r -> r.nextInt(textVocab))) {
                    labelled++;
                }
            }
        }
        if (labelled == 0) {                                         // every batch predicts at least one token
            labels[0][1] = ids[0][1];
            ids[0][1] = textVocab + 3;
        }
        return new MlmBatch(ids, types, mask, labels, null);
    }
}
