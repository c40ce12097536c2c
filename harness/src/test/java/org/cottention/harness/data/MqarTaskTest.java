package org.cottention.harness.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cottention.harness.data.batch.BatchSource;
import org.cottention.harness.data.batch.MqarTask;
import org.cottention.models.CrossEntropy;
import org.cottention.models.LmBatch;
import org.junit.jupiter.api.Test;

/** The MQAR source: Zoology's layout and labels, its constraints, the power-law gaps and determinism. */
class MqarTaskTest {
    static final int I = CrossEntropy.IGNORE;

    /**
     * Every sequence: N distinct keys in [1, V/2) and N distinct values in [V/2, V) at the start, alternating; each
     * key queried exactly once, at an even offset after the pairs, labelled with its own value; nothing else labelled.
     */
    @Test
    void layoutAndLabels() {
        for (int[] lnv : new int[][] {{64, 4, 256}, {64, 16, 65}, {128, 32, 256}, {16, 1, 17}}) {
            int length = lnv[0], pairs = lnv[1], vocab = lnv[2];
            LmBatch b = new MqarTask(8, length, pairs, vocab, MqarTask.POWER_A, 7).batch(3);
            assertEquals(8, b.batch());
            assertEquals(length, b.length());
            for (int i = 0; i < b.batch(); i++) {
                int[] ids = b.ids()[i], labels = b.labels()[i];
                Map<Integer, Integer> valueOf = new HashMap<>();
                Set<Integer> values = new HashSet<>();
                for (int j = 0; j < pairs; j++) {
                    int k = ids[2 * j], v = ids[2 * j + 1];
                    assertTrue(k >= 1 && k < vocab / 2, "key " + k);
                    assertTrue(v >= vocab / 2 && v < vocab, "value " + v);
                    assertEquals(null, valueOf.put(k, v), "keys are distinct");
                    assertTrue(values.add(v), "values are distinct");
                    assertEquals(I, labels[2 * j]);
                    assertEquals(I, labels[2 * j + 1]);
                }
                Set<Integer> queried = new HashSet<>();
                for (int t = 2 * pairs; t < length; t++) {
                    assertTrue(ids[t] >= 0 && ids[t] < vocab);
                    if (labels[t] == I) continue;
                    assertEquals(0, (t - 2 * pairs) % 2, "queries sit at the start of a two-token slot");
                    assertTrue(valueOf.containsKey(ids[t]), "a labelled position holds a key of the sequence");
                    assertEquals(valueOf.get(ids[t]), labels[t], "the label is the queried key's value");
                    assertTrue(queried.add(ids[t]), "each key is queried once");
                }
                assertEquals(pairs, queried.size(), "every key is queried");
            }
        }
    }

    /** Zoology's example layout, 4N = L: every slot holds a query. */
    @Test
    void fullSequenceQueriesEverySlot() {
        LmBatch b = new MqarTask(4, 16, 4, 17, MqarTask.POWER_A, 1).batch(0);
        for (int[] labels : b.labels()) {
            for (int t = 8; t < 16; t++) assertEquals(t % 2 == 0, labels[t] != I, "position " + t);
        }
    }

    @Test
    void constraintsAreOneClearError() {
        for (int[] lnv : new int[][] {{64, 17, 256}, {64, 4, 64}, {63, 4, 256}, {64, 0, 256}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new MqarTask(8, lnv[0], lnv[1], lnv[2], MqarTask.POWER_A, 1));
            assertEquals(String.format("MQAR needs N >= 1 key-value pairs, an even length L with 4 N <= L and a "
                    + "vocabulary V > L; got N = %d, L = %d, V = %d", lnv[1], lnv[0], lnv[2]), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new MqarTask(0, 64, 4, 256, MqarTask.POWER_A, 1));
        assertThrows(IllegalArgumentException.class, () -> new MqarTask(8, 64, 4, 256, 0, 1));
    }

    /**
     * With one pair the query's slot g is drawn from p(g) ~ (g + 1)^(a - 1) exactly: over 40000 sequences (fixed
     * seed, so the counts are fixed) the frequencies match p within 4 standard errors, and with a = 0.01 slot 0 is
     * about twice as likely as slot 1 (2^0.99). With many pairs the slots near the pairs fill first.
     */
    @Test
    void gapsFollowThePowerLaw() {
        MqarTask task = new MqarTask(400, 64, 1, 256, MqarTask.POWER_A, 11);
        double[] p = task.gapProbabilities();
        assertEquals(31, p.length);
        assertEquals(Math.pow(2, 0.99), p[0] / p[1], 1e-12);
        long[] counts = new long[p.length];
        int total = 0;
        for (int k = 0; k < 100; k++) {
            for (int[] labels : task.batch(k).labels()) {
                for (int t = 2; t < 64; t++) if (labels[t] != I) counts[(t - 2) / 2]++;
                total++;
            }
        }
        for (int g = 0; g < p.length; g++) {
            double se = Math.sqrt(p[g] * (1 - p[g]) / total);
            assertEquals(p[g], (double) counts[g] / total, 4 * se, "slot " + g);
        }
        // 8 pairs in 28 slots: the first slot is taken far more often than the last.
        long first = 0, last = 0;
        for (int[] labels : new MqarTask(2000, 72, 8, 256, MqarTask.POWER_A, 5).batch(0).labels()) {
            if (labels[16] != I) first++;
            if (labels[70] != I) last++;
        }
        assertTrue(first > 2 * last, "first slot " + first + ", last slot " + last);
    }

    @Test
    void deterministicPerSeedAndIndex() {
        MqarTask a = new MqarTask(4, 64, 8, 256, MqarTask.POWER_A, 3), b = new MqarTask(4, 64, 8, 256, MqarTask.POWER_A, 3);
        assertArrayEquals(a.batch(17).ids(), b.batch(17).ids());
        assertArrayEquals(a.batch(17).labels(), b.batch(17).labels());
        assertFalse(java.util.Arrays.deepEquals(a.batch(17).ids(), a.batch(18).ids()), "another index, other batch");
        MqarTask other = new MqarTask(4, 64, 8, 256, MqarTask.POWER_A, 4);
        assertFalse(java.util.Arrays.deepEquals(a.batch(17).ids(), other.batch(17).ids()), "another seed, other batch");
        List<LmBatch> set = a.first(3);
        for (int i = 0; i < 3; i++) assertArrayEquals(a.batch(i).ids(), set.get(i).ids());
    }

    /** The mixture takes the tasks in turn: batch i is batch i / k of task i mod k. */
    @Test
    void interleavedTakesTheTasksInTurn() {
        MqarTask four = new MqarTask(2, 64, 4, 256, MqarTask.POWER_A, 1), eight = new MqarTask(2, 64, 8, 256, MqarTask.POWER_A, 2);
        BatchSource<LmBatch> mix = MqarTask.interleaved(List.of(four, eight));
        assertArrayEquals(four.batch(0).ids(), mix.batch(0).ids());
        assertArrayEquals(eight.batch(0).ids(), mix.batch(1).ids());
        assertArrayEquals(four.batch(3).ids(), mix.batch(6).ids());
        assertArrayEquals(eight.batch(3).labels(), mix.batch(7).labels());
    }
}
