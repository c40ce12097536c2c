package org.cottention.harness.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.cottention.harness.data.batch.ByteClassificationBatches;
import org.cottention.harness.data.batch.ByteClassificationBatches.Truncation;
import org.cottention.harness.data.batch.ByteText;
import org.cottention.harness.data.batch.MlmWindows;
import org.cottention.models.ClassificationBatch;
import org.cottention.models.CrossEntropy;
import org.cottention.models.MlmBatch;
import org.junit.jupiter.api.Test;

/** The byte-level BERT inputs: masked-LM windows (layout, masking rate, determinism) and classification truncation. */
class ByteBatchesTest {
    private static int[] text(int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = 'a' + i % 26;
        return t;
    }

    @Test
    void windowsAreFullMaskedAtTheRateAndReproducible() {
        int[] tokens = text(5000);
        MlmWindows w = new MlmWindows(tokens, 16, 32, 0.4, 3);
        long targets = 0, candidates = 0, masked = 0, random = 0, kept = 0;
        for (long b = 0; b < 200; b++) {
            MlmBatch x = w.batch(b);
            assertNull(x.nextSentence());
            assertEquals(32, x.length());
            for (int i = 0; i < x.batch(); i++) {
                assertEquals(ByteText.CLS, x.ids()[i][0]);
                assertEquals(ByteText.SEP, x.ids()[i][31]);
                for (int j = 0; j < 32; j++) {
                    assertEquals(1f, x.mask()[i][j], "no padding");
                    assertEquals(0, x.tokenTypes()[i][j]);
                    int label = x.labels()[i][j], id = x.ids()[i][j];
                    if (j == 0 || j == 31) {
                        assertEquals(CrossEntropy.IGNORE, label, "specials are never targets");
                        continue;
                    }
                    candidates++;
                    if (label == CrossEntropy.IGNORE) {
                        assertTrue(id < 256);
                        continue;
                    }
                    targets++;
                    if (id == ByteText.MASK) masked++;
                    else if (id == label) kept++;
                    else random++;
                }
            }
        }
        assertEquals(0.4, (double) targets / candidates, 0.01);
        assertEquals(0.8, (double) masked / targets, 0.01);
        assertEquals(0.1, (double) random / targets, 0.01);
        assertEquals(0.1, (double) kept / targets, 0.01);
        assertArrayEquals(w.batch(7).ids(), new MlmWindows(tokens, 16, 32, 0.4, 3).batch(7).ids());
        assertArrayEquals(w.batch(7).labels(), new MlmWindows(tokens, 16, 32, 0.4, 3).batch(7).labels());
    }

    @Test
    void heldOutWindowsAreEvenlySpacedAndTheSameEveryTime() {
        int[] tokens = text(1000);
        List<MlmBatch> a = new MlmWindows(tokens, 4, 12, 0.15, 9).heldOut(5), b = new MlmWindows(tokens, 4, 12, 0.15, 9).heldOut(5);
        assertEquals(5, a.size());
        for (int i = 0; i < 5; i++) {
            assertArrayEquals(a.get(i).ids(), b.get(i).ids());
            assertArrayEquals(a.get(i).labels(), b.get(i).labels());
        }
        // window k of 20 starts at k * (1000 - 10) / 20: the last one ends near the stream's end
        MlmBatch last = a.get(4);
        int start = 19 * 990 / 20;
        for (int j = 1; j < 11; j++) {
            int label = last.labels()[3][j], id = last.ids()[3][j];
            assertEquals(tokens[start + j - 1], label == CrossEntropy.IGNORE ? id : label);
        }
    }

    @Test
    void windowsRefuseWhatTheyCannotMake() {
        assertThrows(IllegalArgumentException.class, () -> new MlmWindows(text(10), 2, 32, 0.15, 1), "text too short");
        assertThrows(IllegalArgumentException.class, () -> new MlmWindows(text(100), 2, 32, 0, 1), "rate 0");
        assertThrows(IllegalArgumentException.class, () -> new MlmWindows(new int[] {1, 2, 300, 4}, 1, 3, 0.1, 1));
    }

    @Test
    void joinPutsABlankLineBetweenTexts() {
        assertArrayEquals(new int[] {'a', '\n', '\n', 'b', 'c'}, ByteText.join(List.of("a", "bc")));
    }

    @Test
    void headAndTailKeepAQuarterFromTheStartAndTheRestFromTheEnd() {
        String review = "0123456789abcdefghijklmnopqrstuvwxyz";     // 36 bytes
        assertEquals("0123456789abcdefghijklmnopqrstuvwxyz",
                new String(ByteClassificationBatches.visibleBytes(review, 40, Truncation.HEAD_AND_TAIL), StandardCharsets.UTF_8));
        byte[] cut = ByteClassificationBatches.visibleBytes(review, 22, Truncation.HEAD_AND_TAIL);   // room 20: 5 + 15
        assertEquals("01234lmnopqrstuvwxyz", new String(cut, StandardCharsets.UTF_8));
        assertEquals("0123456789abcdefghij",
                new String(ByteClassificationBatches.visibleBytes(review, 22, Truncation.HEAD), StandardCharsets.UTF_8));
        ByteClassificationBatches b = new ByteClassificationBatches(List.of(review, "ok"), new int[] {1, 0}, 22,
                Truncation.HEAD_AND_TAIL);
        ClassificationBatch x = b.batch(new int[] {0, 1}, new java.util.SplittableRandom(1));
        assertEquals(22, x.length());
        assertEquals(ByteText.CLS, x.ids()[0][0]);
        assertEquals('0', x.ids()[0][1]);
        assertEquals('z', x.ids()[0][20]);
        assertEquals(ByteText.SEP, x.ids()[0][21]);
        assertEquals(ByteText.SEP, x.ids()[1][3]);
        assertEquals(ByteText.PAD, x.ids()[1][4]);
        assertEquals(0f, x.mask()[1][4]);
    }
}
