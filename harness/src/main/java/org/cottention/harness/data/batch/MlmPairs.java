package org.cottention.harness.data.batch;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.cottention.harness.data.batch.MlmBatches;
import org.cottention.models.CrossEntropy;
import org.cottention.models.MlmBatch;
import org.cottention.models.Pass;

/**
 * BERT pre-training batches from a byte stream, in the reference's format (paper-spec §8.1) on byte-level text:
 * [CLS] A [SEP] B [SEP] [PAD]..., A and B windows of random length (so batches carry padding); with probability
 * 0.5 B is the text that follows A (NSP label 0), else a window from elsewhere (label 1); token type 0 up to the
 * first [SEP], 1 after. MLM: BERT's rule on the bytes ({@link MlmBatches#maskPosition}; a random byte as the
 * random token); labels IGNORE elsewhere.
 */
public final class MlmPairs implements BatchSource<MlmBatch> {
    private final int[] tokens;
    private final int batch, length;
    private final boolean nextSentence;
    private final long seed;

    public MlmPairs(int[] tokens, int batch, int length, boolean nextSentence, long seed) {
        if (length < 8) throw new IllegalArgumentException("BERT sequences need at least 8 positions, got " + length);
        if (tokens.length < 2L * length) throw new IllegalArgumentException("text of " + tokens.length + " tokens is too short for sequences of " + length);
        this.tokens = tokens;
        this.batch = batch;
        this.length = length;
        this.nextSentence = nextSentence;
        this.seed = seed;
    }

    @Override
    public MlmBatch batch(long index) {
        return make(new SplittableRandom(Pass.seedFor(seed, index)));
    }

    /** maxBatches fixed batches (seeded from the held-out stream itself), for evaluation. */
    public static List<MlmBatch> heldOut(int[] tokens, int batch, int length, boolean nextSentence, int count, long seed) {
        MlmPairs source = new MlmPairs(tokens, batch, length, nextSentence, seed);
        List<MlmBatch> out = new ArrayList<>();
        for (int i = 0; i < count; i++) out.add(source.batch(-1 - i));
        return out;
    }

    private MlmBatch make(SplittableRandom rng) {
        int[][] ids = new int[batch][length], types = new int[batch][length], labels = new int[batch][length];
        float[][] mask = new float[batch][length];
        int[] nsp = nextSentence ? new int[batch] : null;
        int labelled = 0;
        for (int i = 0; i < batch; i++) {
            int room = length - 3;                                   // [CLS] A [SEP] B [SEP]
            int la = 1 + rng.nextInt(Math.max(1, room / 2));
            int lb = 1 + rng.nextInt(room - la);
            int a = rng.nextInt(tokens.length - la - lb);
            boolean random = nextSentence && rng.nextBoolean();
            int b = random ? rng.nextInt(tokens.length - lb) : a + la;
            if (nsp != null) nsp[i] = random ? 1 : 0;
            int t = 0;
            ids[i][t++] = ByteText.CLS;
            for (int j = 0; j < la; j++) ids[i][t++] = tokens[a + j];
            ids[i][t++] = ByteText.SEP;
            int secondStart = t;
            for (int j = 0; j < lb; j++) ids[i][t++] = tokens[b + j];
            ids[i][t++] = ByteText.SEP;
            for (int j = 0; j < length; j++) {
                mask[i][j] = j < t ? 1 : 0;
                types[i][j] = j >= secondStart ? 1 : 0;                // pads get type 1, as the reference
                labels[i][j] = CrossEntropy.IGNORE;
            }
            for (int j = t; j < length; j++) ids[i][j] = ByteText.PAD;
            for (int j = 0; j < t; j++) {
                if (ids[i][j] < 256 && MlmBatches.maskPosition(ids[i], labels[i], j, rng, MlmBatches.SELECT, ByteText.MASK, r -> r.nextInt(256))) {
                    labelled++;
                }
            }
        }
        if (labelled == 0) {                                         // every batch predicts at least one token
            labels[0][1] = ids[0][1];
            ids[0][1] = ByteText.MASK;
        }
        return new MlmBatch(ids, types, mask, labels, nsp);
    }
}
