package org.cottention.harness.data.batch;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.cottention.models.ClassificationBatch;

/**
 * Classification batches for a BERT with {@link ByteText}'s layout of ids (text ids 0..V-1, then [PAD] V, [CLS]
 * V+1, [SEP] V+2): [CLS] the text's ids [SEP], a text longer than maxLen - 2 ids cut by the {@link Truncation},
 * padded to the longest sequence of each batch. Token types all 0. Byte level (V = 256, the text's UTF-8 bytes)
 * from texts, or any tokenizer with that layout from its ids.
 */
public final class ByteClassificationBatches extends Batches<ClassificationBatch> {
    /** How a text longer than the model's window is cut. */
    public enum Truncation {
        /** Its first maxLen - 2 bytes. */
        HEAD,
        /**
         * Its first quarter of the window and its last three quarters (Sun et al. 2019, "How to Fine-Tune BERT for
         * Text Classification?": head 128 + tail 382 tokens of 510 beat head-only and tail-only on IMDB).
         */
        HEAD_AND_TAIL
    }

    private final List<int[]> sequences = new ArrayList<>();
    private final int[] labels;

    private final int pad;

    /** Byte level, the head of a long text. */
    public ByteClassificationBatches(List<String> texts, int[] labels, int maxLen) {
        this(texts.stream().map(ByteClassificationBatches::bytes).toList(), labels, maxLen, 256, Truncation.HEAD);
    }

    /** Byte level, a long text cut by the truncation. */
    public ByteClassificationBatches(List<String> texts, int[] labels, int maxLen, Truncation truncation) {
        this(texts.stream().map(ByteClassificationBatches::bytes).toList(), labels, maxLen, 256, truncation);
    }

    /** texts as text ids 0..textVocab-1 (bytes: {@link #bytes}). */
    public ByteClassificationBatches(List<int[]> texts, int[] labels, int maxLen, int textVocab, Truncation truncation) {
        if (maxLen < 3) throw new IllegalArgumentException("maxLen must be at least 3, got " + maxLen);
        if (texts.size() != labels.length) throw new IllegalArgumentException("texts and labels differ in number");
        this.labels = labels.clone();
        this.pad = textVocab;
        for (int[] t : texts) {
            int[] visible = visible(t, maxLen, truncation);
            int[] seq = new int[visible.length + 2];
            seq[0] = textVocab + 1;                                   // [CLS]
            System.arraycopy(visible, 0, seq, 1, visible.length);
            seq[visible.length + 1] = textVocab + 2;                  // [SEP]
            sequences.add(seq);
        }
    }

    /** A text's UTF-8 bytes as ids 0..255. */
    public static int[] bytes(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        int[] out = new int[b.length];
        for (int i = 0; i < b.length; i++) out[i] = b[i] & 0xFF;
        return out;
    }

    /** The UTF-8 bytes of a text that a model of maxLen positions sees. */
    public static byte[] visibleBytes(String text, int maxLen, Truncation truncation) {
        int[] ids = visible(bytes(text), maxLen, truncation);
        byte[] out = new byte[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = (byte) ids[i];
        return out;
    }

    /** The ids of a text that a model of maxLen positions sees (all of them when they fit in maxLen - 2). */
    public static int[] visible(int[] ids, int maxLen, Truncation truncation) {
        int room = maxLen - 2;
        if (ids.length <= room) return ids;
        if (truncation == Truncation.HEAD) return java.util.Arrays.copyOf(ids, room);
        int head = room / 4, tail = room - head;
        int[] out = new int[room];
        System.arraycopy(ids, 0, out, 0, head);
        System.arraycopy(ids, ids.length - tail, out, head, tail);
        return out;
    }

    @Override
    public int size() {
        return sequences.size();
    }

    @Override
    public ClassificationBatch batch(int[] indices, SplittableRandom rng) {
        int n = indices.length;
        List<int[]> seqs = new ArrayList<>(n);
        for (int i : indices) seqs.add(sequences.get(i));
        int s = maxLength(seqs);
        int[][] ids = filled(n, s, pad);
        float[][] mask = new float[n][s];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            int[] seq = seqs.get(i);
            System.arraycopy(seq, 0, ids[i], 0, seq.length);
            for (int j = 0; j < seq.length; j++) mask[i][j] = 1f;
            y[i] = labels[indices[i]];
        }
        return new ClassificationBatch(ids, new int[n][s], mask, y);
    }
}
