package org.cottention.harness.data.batch;

import org.cottention.models.CrossEntropy;
import org.cottention.models.LmBatch;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

    /**
     * A held-out set drawn evenly from every source of the documents (Gutenberg, State of the Union, Brown): from each
     * source, windowsPerSource windows chosen at random without replacement (a generator seeded with seed), in
     * batches of batchSize, sources interleaved. Fixed by the seed: the same set for every run. A source with fewer
     * windows gives all it has.
     */
    public static List<LmBatch> balanced(List<Document> documents, Tokenizer tok, int window, int windowsPerSource,
                                         int batchSize, long seed) {
        Map<String, List<Document>> bySource = new java.util.TreeMap<>();
        for (Document d : documents) bySource.computeIfAbsent(d.source(), k -> new ArrayList<>()).add(d);
        List<LmBatches> sets = new ArrayList<>();
        List<List<Integer>> picks = new ArrayList<>();
        java.util.Random rng = new java.util.Random(seed);
        for (List<Document> docs : bySource.values()) {
            LmBatches b = of(docs, tok, window);
            List<Integer> idx = new ArrayList<>(java.util.stream.IntStream.range(0, b.size()).boxed().toList());
            java.util.Collections.shuffle(idx, rng);
            sets.add(b);
            picks.add(idx.subList(0, Math.min(windowsPerSource, idx.size())));
        }
        List<int[]> chosen = new ArrayList<>();                   // {source, window}, the sources taking turns
        int most = picks.stream().mapToInt(List::size).max().orElse(0);
        for (int i = 0; i < most; i++) {
            for (int src = 0; src < picks.size(); src++) if (i < picks.get(src).size()) chosen.add(new int[] {src, picks.get(src).get(i)});
        }
        List<LmBatch> out = new ArrayList<>();
        for (int from = 0; from < chosen.size(); from += batchSize) {
            List<int[]> part = chosen.subList(from, Math.min(chosen.size(), from + batchSize));
            // Each source's windows come from its own builder; the batch concatenates their rows.
            List<LmBatch> pieces = new ArrayList<>();
            for (int src = 0; src < sets.size(); src++) {
                final int s = src;
                int[] w = part.stream().filter(c -> c[0] == s).mapToInt(c -> c[1]).toArray();
                if (w.length > 0) pieces.add(sets.get(src).batch(w, new SplittableRandom(0)));
            }
            out.add(concat(pieces, sets.get(0).endOfText));
        }
        return out;
    }

    /** The rows of several batches in one, padded to the longest (end-of-text inputs, ignored labels, mask 0). */
    private static LmBatch concat(List<LmBatch> pieces, int endOfText) {
        int s = pieces.stream().mapToInt(LmBatch::length).max().orElse(0), n = pieces.stream().mapToInt(LmBatch::batch).sum();
        int[][] ids = filled(n, s, endOfText), labels = filled(n, s, CrossEntropy.IGNORE);
        float[][] mask = new float[n][s];
        int row = 0;
        for (LmBatch b : pieces) {
            for (int i = 0; i < b.batch(); i++, row++) {
                System.arraycopy(b.ids()[i], 0, ids[row], 0, b.length());
                System.arraycopy(b.labels()[i], 0, labels[row], 0, b.length());
                if (b.mask() != null) System.arraycopy(b.mask()[i], 0, mask[row], 0, b.length());
                else java.util.Arrays.fill(mask[row], 0, b.length(), 1f);
            }
        }
        return new LmBatch(ids, mask, labels);
    }
}
