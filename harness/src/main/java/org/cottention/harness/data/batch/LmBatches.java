package org.cottention.harness.data.batch;

import org.cottention.models.CrossEntropy;
import org.cottention.models.LmBatch;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.cottention.harness.data.text.Document;
import org.cottention.harness.data.tokenize.Tokenizer;

/**
 * Causal LM windows that respect document boundaries. Each document's tokens t_0..t_{n-1}, followed by one
 * end-of-text id, are cut into consecutive windows of at most {@code window} input positions; no window holds
 * two documents. Window k has inputs t_{kw}..t_{min(kw+w, n)-1} and targets the next token of each (so the last
 * window of a document ends by predicting end-of-text). Every token of every document is a target once per
 * epoch. (The reference code instead crops one random window of each document per step; over a corpus of whole
 * books consecutive windows use all of the text.)
 */
public final class LmBatches extends Batches<LmBatch> {
    private final List<int[]> docs = new ArrayList<>();
    private final int[] windowDoc;     // window -> document
    private final int[] windowStart;   // window -> first input position
    private final int window, endOfText;
    private final long targets;

    public LmBatches(List<int[]> tokenizedDocs, int endOfText, int window) {
        if (window <= 0) throw new IllegalArgumentException("window must be positive: " + window);
        this.window = window;
        this.endOfText = endOfText;
        List<int[]> windows = new ArrayList<>();
        long t = 0;
        for (int[] d : tokenizedDocs) {
            if (d.length == 0) continue;
            int di = docs.size();
            docs.add(d);
            for (int start = 0; start < d.length; start += window) windows.add(new int[] {di, start});
            t += d.length;
        }
        this.windowDoc = windows.stream().mapToInt(w -> w[0]).toArray();
        this.windowStart = windows.stream().mapToInt(w -> w[1]).toArray();
        this.targets = t;
    }

    /** Tokenizes the documents (in order) and cuts them into windows. */
    public static LmBatches of(List<Document> documents, Tokenizer tok, int window) {
        List<int[]> ids = documents.stream().map(d -> tok.encode(d.text())).toList();
        return new LmBatches(ids, tok.endOfText(), window);
    }

    @Override
    public int size() {
        return windowDoc.length;
    }

    /** Number of positions that carry loss over all windows (each document's tokens: one target each). */
    public long targetCount() {
        return targets;
    }

    @Override
    public LmBatch batch(int[] indices, SplittableRandom rng) {
        int n = indices.length;
        int[] real = new int[n];
        int s = 0;
        for (int i = 0; i < n; i++) {
            int w = indices[i];
            real[i] = Math.min(window, docs.get(windowDoc[w]).length - windowStart[w]);
            s = Math.max(s, real[i]);
        }
        int[][] inputs = filled(n, s, endOfText), labels = filled(n, s, CrossEntropy.IGNORE);
        float[][] mask = new float[n][s];
        for (int i = 0; i < n; i++) {
            int[] d = docs.get(windowDoc[indices[i]]);
            int start = windowStart[indices[i]];
            for (int j = 0; j < real[i]; j++) {
                inputs[i][j] = d[start + j];
                labels[i][j] = start + j + 1 < d.length ? d[start + j + 1] : endOfText;
                mask[i][j] = 1f;
            }
        }
        return new LmBatch(inputs, mask, labels);
    }
}
