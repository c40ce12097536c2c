package org.cottention.harness.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.cottention.models.CrossEntropy;
import org.cottention.models.MlmBatch;
import org.junit.jupiter.api.Test;

/** The trivial baselines of the BERT experiment: unigram cross-entropy and the bag-of-words logistic regression. */
class BaselinesTest {
    @Test
    void unigramIsTheSmoothedFrequencyOfTheLabelledPositions() {
        Unigram u = Unigram.fit(new int[] {0, 0, 0, 1}, 3);                  // add-one: 4/7, 2/7, 1/7
        assertEquals(Math.log(4.0 / 7), u.logProb(0), 1e-12);
        assertEquals(Math.log(1.0 / 7), u.logProb(2), 1e-12);
        int ig = CrossEntropy.IGNORE;
        MlmBatch b = new MlmBatch(new int[][] {{5, 5, 5}}, new int[1][3], new float[][] {{1, 1, 1}},
                new int[][] {{0, ig, 2}}, null);
        double[] e = u.evaluate(List.of(b));
        assertEquals(-(Math.log(4.0 / 7) + Math.log(1.0 / 7)) / 2, e[0], 1e-12);
        assertEquals(0.5, e[1], 1e-12, "predicting the most frequent token (0) is right once");
        assertEquals(2, e[2]);
        assertThrows(IllegalArgumentException.class, () -> Unigram.fit(new int[] {3}, 3));
    }

    /** The context-free baseline: Bayes on the target's own input under BERT's 80/10/10 rule. */
    @Test
    void contextFreeBaselineUsesTheMaskingRuleOnTheTargetsOwnInput() {
        Unigram u = Unigram.fit(new int[] {0, 0, 0, 1}, 3);                  // p = 4/7, 2/7, 1/7
        int ig = CrossEntropy.IGNORE, mask = 9;
        // targets: input [MASK] (truth 1), input kept (truth 0 = input 0), input random (truth 2, input 1)
        MlmBatch b = new MlmBatch(new int[][] {{mask, 0, 1, 5}}, new int[1][4], new float[][] {{1, 1, 1, 1}},
                new int[][] {{1, 0, 2, ig}}, null);
        double keep = 0.1, r = 0.1 / 3, p0 = 4.0 / 7, p1 = 2.0 / 7, p2 = 1.0 / 7;
        double expected = (-Math.log(p1) - Math.log(p0 * (keep + r) / (p0 * keep + r)) - Math.log(p2 * r / (p1 * keep + r))) / 3;
        double[] e = u.evaluateContextFree(List.of(b), mask, 3, 0.8, 0.1);
        assertEquals(expected, e[0], 1e-12);
        assertEquals(3, e[2]);
        assertEquals(1.0 / 3, e[1], 1e-12, "right only where the input was kept");
    }

    @Test
    void wordsAreLowerCasedRunsOfLettersDigitsAndApostrophes() {
        assertEquals(List.of("it's", "a", "10", "movie", "great"), BagOfWords.words("It's a 10-movie... GREAT!"));
    }

    /** Label 1 iff "good" outnumbers "bad", among filler words: a bag of words can learn it, and does. */
    @Test
    void bagOfWordsLearnsAWordCountedRule() {
        Random rng = new Random(5);
        String[] filler = {"the", "film", "was", "plot", "actor", "scene", "and", "very"};
        List<String> texts = new ArrayList<>();
        int[] labels = new int[600];
        for (int i = 0; i < labels.length; i++) {
            int good = rng.nextInt(3), bad = rng.nextInt(3);
            if (good == bad) good++;
            StringBuilder sb = new StringBuilder();
            for (int k = 0; k < 8; k++) sb.append(filler[rng.nextInt(filler.length)]).append(' ');
            sb.append("good ".repeat(good)).append("bad ".repeat(bad));
            texts.add(sb.toString());
            labels[i] = good > bad ? 1 : 0;
        }
        BagOfWords m = BagOfWords.train(texts.subList(0, 500), java.util.Arrays.copyOfRange(labels, 0, 500), 1);
        double accuracy = m.accuracy(texts.subList(500, 600), java.util.Arrays.copyOfRange(labels, 500, 600));
        assertTrue(accuracy > 0.9, "accuracy " + accuracy);
        assertTrue(m.probability("good good good") > 0.9 && m.probability("bad bad bad") < 0.1);
        BagOfWords again = BagOfWords.train(texts.subList(0, 500), java.util.Arrays.copyOfRange(labels, 0, 500), 1);
        assertArrayEquals(m.predict(texts), again.predict(texts), "seeded: the same model twice");
        assertTrue(List.of(BagOfWords.LAMBDAS[0], BagOfWords.LAMBDAS[1], BagOfWords.LAMBDAS[2], BagOfWords.LAMBDAS[3])
                .contains(m.lambda()));
    }

    @Test
    void bagOfWordsRefusesWhatItCannotFit() {
        assertThrows(IllegalArgumentException.class, () -> BagOfWords.train(List.of("a", "b"), new int[] {0, 1}, 1));
        List<String> ten = java.util.Collections.nCopies(10, "x y");
        assertThrows(IllegalArgumentException.class, () -> BagOfWords.train(ten, new int[] {0, 1, 2, 0, 1, 0, 1, 0, 1, 0}, 1));
    }
}
