package org.cottention.harness.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.cottention.harness.data.batch.ClassificationBatches;
import org.cottention.harness.data.batch.LmBatches;
import org.cottention.harness.data.batch.MlmBatches;
import org.cottention.harness.data.batch.MlmBatches.SentencePair;
import org.cottention.harness.data.text.Document;
import org.cottention.harness.data.text.Example;
import org.cottention.harness.data.text.PretrainingText;
import org.cottention.harness.data.tokenize.ByteTokenizer;
import org.cottention.harness.data.tokenize.WordPieceTokenizer;
import org.cottention.models.ClassificationBatch;
import org.cottention.models.CrossEntropy;
import org.cottention.models.LmBatch;
import org.cottention.models.MlmBatch;
import org.junit.jupiter.api.Test;

class BatchesTest {
    private static final int MAX_LEN = 128;

    private static List<SentencePair> fixturePairs() {
        return MlmBatches.pairs(PretrainingText.read(TestData.FIXTURE), TestData.bert(), MAX_LEN);
    }

    @Test
    void sentencePairsFollowTheLengthRules() {
        List<SentencePair> pairs = fixturePairs();
        assertTrue(pairs.size() > 50, pairs.size() + " pairs");
        for (SentencePair p : pairs) assertTrue(p.a().length + p.b().length + 3 <= MAX_LEN);
    }

    /** Over the whole fixture, seeded: selection rate, the 80/10/10 split, special tokens untouched, NSP rate. */
    @Test
    void maskingStatistics() {
        WordPieceTokenizer t = TestData.bert();
        MlmBatches mlm = new MlmBatches(fixturePairs(), t, MAX_LEN, true);
        long candidates = 0, selected = 0, masked = 0, random = 0, kept = 0, nsp = 0, sequences = 0;
        for (int epoch = 0; epoch < 20; epoch++) {
            for (MlmBatch b : mlm.epoch(32, 1000 + epoch)) {
                for (int i = 0; i < b.batch(); i++) {
                    sequences++;
                    nsp += b.nextSentence()[i];
                    for (int j = 0; j < b.length(); j++) {
                        int label = b.labels()[i][j], id = b.ids()[i][j];
                        if (b.mask()[i][j] == 0f) {
                            assertEquals(CrossEntropy.IGNORE, label);
                            assertEquals(t.pad, id);
                            continue;
                        }
                        if (label == CrossEntropy.IGNORE) {
                            if (!t.isSpecial(id)) candidates++;
                            continue;
                        }
                        candidates++;
                        selected++;
                        assertTrue(!t.isSpecial(label), "a special token was selected");
                        if (id == t.mask) masked++;
                        else if (id == label) kept++;
                        else {
                            random++;
                            assertTrue(!t.isSpecial(id), "random replacement is special");
                        }
                    }
                }
            }
        }
        double rate = (double) selected / candidates;
        assertEquals(0.15, rate, 0.005, "selection rate over " + candidates + " tokens");
        assertEquals(0.8, (double) masked / selected, 0.01);
        assertEquals(0.1, (double) random / selected, 0.01);
        assertEquals(0.1, (double) kept / selected, 0.01);
        assertEquals(0.5, (double) nsp / sequences, 0.03);
    }

    @Test
    void mlmLayoutTokenTypesAndDeterminism() {
        WordPieceTokenizer t = TestData.bert();
        List<SentencePair> pairs = fixturePairs();
        MlmBatches off = new MlmBatches(pairs, t, MAX_LEN, false);
        MlmBatch b = off.batch(new int[] {0, 1, 2}, new SplittableRandom(1));
        assertNull(b.nextSentence());
        for (int i = 0; i < 3; i++) {
            SentencePair p = pairs.get(i);
            int len = p.a().length + p.b().length + 3;
            assertEquals(t.cls, b.ids()[i][0]);
            assertEquals(t.sep, b.ids()[i][p.a().length + 1]);
            assertEquals(t.sep, b.ids()[i][len - 1]);
            for (int j = 0; j < b.length(); j++) {
                assertEquals(j < len ? 1f : 0f, b.mask()[i][j]);
                assertEquals(j <= p.a().length + 1 ? 0 : 1, b.tokenTypes()[i][j]);
                int original = j == 0 ? t.cls : j <= p.a().length ? p.a()[j - 1] : j == p.a().length + 1 ? t.sep
                        : j < len - 1 ? p.b()[j - p.a().length - 2] : j == len - 1 ? t.sep : t.pad;
                int label = b.labels()[i][j];
                assertEquals(original, label == CrossEntropy.IGNORE ? (b.ids()[i][j] == t.mask ? -1 : b.ids()[i][j])
                        : label, "position " + j);
            }
        }
        MlmBatches on = new MlmBatches(pairs, t, MAX_LEN, true);
        assertBatchEquals(on.epoch(8, 42).iterator().next(), on.epoch(8, 42).iterator().next());
    }

    private static void assertBatchEquals(MlmBatch x, MlmBatch y) {
        assertArrayEquals(x.ids(), y.ids());
        assertArrayEquals(x.labels(), y.labels());
        assertArrayEquals(x.tokenTypes(), y.tokenTypes());
        assertArrayEquals(x.nextSentence(), y.nextSentence());
    }

    @Test
    void classificationSinglesAndPairs() {
        WordPieceTokenizer t = TestData.bert();
        List<Example> ex = List.of(
                new Example("0", "0", "i like strawberries", null, 1),
                new Example("1", "1", "i like", "strawberries", 0),
                new Example("2", "2", "i like strawberries i like strawberries", "i", 1));
        ClassificationBatches cb = new ClassificationBatches(ex, t, 8);
        ClassificationBatch b = cb.batch(new int[] {0, 1, 2}, new SplittableRandom(0));
        assertArrayEquals(new int[] {1, 0, 1}, b.labels());
        assertArrayEquals(new int[] {101, 1045, 2066, 13137, 20968, 102, 0, 0}, b.ids()[0]);
        assertArrayEquals(new int[] {101, 1045, 2066, 102, 13137, 20968, 102, 0}, b.ids()[1]);
        assertArrayEquals(new int[] {0, 0, 0, 0, 1, 1, 1, 0}, b.tokenTypes()[1]);
        assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1, 1, 0}, b.mask()[1]);
        // longest first: A (8 pieces) loses its end until A + B fit in 8 - 3 = 5
        assertArrayEquals(new int[] {101, 1045, 2066, 13137, 20968, 102, 1045, 102}, b.ids()[2]);
        // dynamic padding: a batch is as long as its longest sequence
        assertEquals(6, cb.batch(new int[] {0}, new SplittableRandom(0)).length());
    }

    @Test
    void lmWindowsRespectDocumentsAndShiftTargets() {
        int eos = 0;
        List<int[]> docs = List.of(new int[] {1, 2, 3, 4, 5}, new int[] {}, new int[] {6, 7});
        LmBatches lm = new LmBatches(docs, eos, 3);
        assertEquals(3, lm.size());   // [1 2 3] [4 5] [6 7]
        assertEquals(7, lm.targetCount());
        LmBatch b = lm.batch(new int[] {0, 1, 2}, new SplittableRandom(0));
        assertArrayEquals(new int[][] {{1, 2, 3}, {4, 5, eos}, {6, 7, eos}}, b.ids());
        int ig = CrossEntropy.IGNORE;   // no loss where the input is padding
        assertArrayEquals(new int[][] {{2, 3, 4}, {5, eos, ig}, {7, eos, ig}}, b.labels());
        assertArrayEquals(new float[][] {{1, 1, 1}, {1, 1, 0}, {1, 1, 0}}, b.mask());
    }

    /** On real text: every token of every document is a target exactly once per epoch, and eos once per document. */
    @Test
    void lmEpochCoversEveryTokenOnce() {
        ByteTokenizer t = new ByteTokenizer();
        List<Document> docs = PretrainingText.read(TestData.FIXTURE);
        LmBatches lm = LmBatches.of(docs, t, 64);
        long targets = 0, eosTargets = 0;
        List<Integer> widths = new ArrayList<>();
        for (LmBatch b : lm.epoch(16, 3)) {
            widths.add(b.length());
            for (int i = 0; i < b.batch(); i++) {
                for (int j = 0; j < b.length(); j++) {
                    if (b.labels()[i][j] == CrossEntropy.IGNORE) continue;
                    targets++;
                    if (b.labels()[i][j] == t.endOfText()) eosTargets++;
                }
            }
        }
        long tokens = docs.stream().mapToLong(d -> t.encode(d.text()).length).sum();
        assertEquals(tokens, targets);
        assertEquals(docs.size(), eosTargets);
        assertTrue(widths.stream().allMatch(w -> w <= 64));
    }
}
