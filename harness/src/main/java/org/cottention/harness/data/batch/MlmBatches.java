package org.cottention.harness.data.batch;

import org.cottention.models.CrossEntropy;
import org.cottention.models.MlmBatch;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.ToIntFunction;
import org.cottention.harness.data.text.Document;
import org.cottention.harness.data.text.Sentences;
import org.cottention.harness.data.tokenize.WordPieceTokenizer;

/**
 * BERT pretraining batches (paper-spec §8.1). Each example is a pair of consecutive sentences (A, B) of one
 * document, both with more than 3 and at most maxLen/2 words, and [CLS] A [SEP] B [SEP] at most maxLen tokens.
 * With NSP on, B is replaced with probability 1/2 by the first or second sentence of a random pair (label 1;
 * label 0 = kept), and cut at the end if the sequence would exceed maxLen. With NSP off, B is always the true
 * next sentence and nspLabels is null. MLM: each non-special token is selected with probability 0.15; a
 * selected token becomes [MASK] (80%), a uniformly random non-special token (10%) or stays (10%); labels hold the
 * original id at selected positions and -100 elsewhere.
 */
public final class MlmBatches extends Batches<MlmBatch> {
    public static final double SELECT = 0.15, TO_MASK = 0.8, TO_RANDOM = 0.1, NSP_RANDOM = 0.5;

    /** Two consecutive sentences as WordPiece ids, no special tokens. */
    public record SentencePair(int[] a, int[] b) {}

    private final List<SentencePair> pairs;
    private final WordPieceTokenizer tok;
    private final int maxLen;
    private final boolean nsp;

    public MlmBatches(List<SentencePair> pairs, WordPieceTokenizer tok, int maxLen, boolean nsp) {
        if (pairs.isEmpty()) throw new IllegalArgumentException("no sentence pairs");
        this.pairs = List.copyOf(pairs);
        this.tok = tok;
        this.maxLen = maxLen;
        this.nsp = nsp;
    }

    /** The sentence pairs of the documents, in document order. */
    public static List<SentencePair> pairs(List<Document> docs, WordPieceTokenizer tok, int maxLen) {
        List<SentencePair> out = new ArrayList<>();
        for (Document d : docs) {
            int[] prev = null;
            for (String s : Sentences.split(d.text())) {
                int words = Sentences.wordCount(s);
                if (words <= 3 || words > maxLen / 2) {
                    prev = null;   // pairs are of consecutive kept sentences only
                    continue;
                }
                int[] ids = tok.encode(s);
                if (prev != null && prev.length + ids.length + 3 <= maxLen) out.add(new SentencePair(prev, ids));
                prev = ids;
            }
        }
        return out;
    }

    @Override
    public int size() {
        return pairs.size();
    }

    @Override
    public MlmBatch batch(int[] indices, SplittableRandom rng) {
        int n = indices.length;
        List<int[]> seqs = new ArrayList<>(n);
        int[] firstSep = new int[n];
        int[] nspLabels = nsp ? new int[n] : null;
        for (int i = 0; i < n; i++) {
            SentencePair p = pairs.get(indices[i]);
            int[] b = p.b();
            if (nsp && rng.nextDouble() < NSP_RANDOM) {
                SentencePair other = pairs.get(rng.nextInt(pairs.size()));
                b = rng.nextBoolean() ? other.a() : other.b();
                nspLabels[i] = 1;
            }
            int bLen = Math.min(b.length, maxLen - 3 - p.a().length);
            int[] seq = bertSequence(tok, p.a(), p.a().length, b, bLen);
            firstSep[i] = p.a().length + 1;
            seqs.add(seq);
        }
        int s = maxLength(seqs);
        int[][] ids = filled(n, s, tok.pad), types = filled(n, s, 1), labels = filled(n, s, CrossEntropy.IGNORE);
        float[][] mask = new float[n][s];
        for (int i = 0; i < n; i++) {
            int[] seq = seqs.get(i);
            for (int j = 0; j < seq.length; j++) {
                mask[i][j] = 1f;
                if (j <= firstSep[i]) types[i][j] = 0;
                ids[i][j] = seq[j];
                if (!tok.isSpecial(seq[j])) maskPosition(ids[i], labels[i], j, rng, SELECT, tok.mask, this::randomNonSpecial);
            }
        }
        return new MlmBatch(ids, types, mask, labels, nspLabels);
    }

    /**
     * BERT's masking rule at position j of one sequence (paper-spec §8.1), for a token the caller has found not
     * special: with probability select (BERT: {@link #SELECT}) it becomes a target (labels[j] = its id) and is
     * replaced by [MASK] (TO_MASK), a random token (TO_RANDOM) or kept. The random draws come in this order on every
     * path. Returns whether the position became a target. Every MLM batch builder masks through here.
     */
    public static boolean maskPosition(int[] ids, int[] labels, int j, SplittableRandom rng, double select, int maskId,
                                       ToIntFunction<SplittableRandom> randomToken) {
        if (rng.nextDouble() >= select) return false;
        labels[j] = ids[j];
        double r = rng.nextDouble();
        if (r < TO_MASK) ids[j] = maskId;
        else if (r < TO_MASK + TO_RANDOM) ids[j] = randomToken.applyAsInt(rng);
        return true;
    }

    private int randomNonSpecial(SplittableRandom rng) {
        while (true) {
            int id = rng.nextInt(tok.vocabSize());
            if (!tok.isSpecial(id)) return id;
        }
    }

    @Override
    public String toString() {
        return "MlmBatches[" + pairs.size() + " pairs, maxLen " + maxLen + ", nsp " + nsp + "]";
    }
}
