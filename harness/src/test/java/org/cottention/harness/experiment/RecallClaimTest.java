package org.cottention.harness.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The recall experiment's aggregation on synthetic rows: the learning rate chosen on seed 1's validation accuracy
 * (mean over N), the hardest N where softmax still recalls, and R1's verdict from the paired seeds at that N, for
 * every outcome (the Verdict rules themselves are tested in VerdictTest).
 */
class RecallClaimTest {
    static final int[] PAIRS = {2, 4, 8, 16};

    static Map<String, String> row(String attention, int width, int pairs, String lr, int seed, double valid, double test) {
        Map<String, String> r = new LinkedHashMap<>();
        r.put("attention", attention);
        r.put("role", seed == 1 ? "sweep" : "replicate");
        r.put("status", "ok");
        r.put("width", Integer.toString(width));
        r.put("pairs", Integer.toString(pairs));
        r.put("lr", lr);
        r.put("seed", Integer.toString(seed));
        r.put("seq_len", "64");
        r.put("valid_accuracy", Double.toString(valid));
        r.put("test_accuracy", Double.toString(test));
        r.put("state_bytes", attention.equals("cosine") ? "32768" : "65536");
        return r;
    }

    /**
     * Rows for one width: seed 1 sweeps three rates; at the good one (1e-3) softmax reaches softmaxAt[i] and cosine
     * cosineAt[i] at PAIRS[i] (plus a per-seed wobble), at the bad ones (3e-4, 3e-3) both stay at 0.1; the later
     * seeds run at 1e-3 only, as the experiment's replicates do.
     */
    static List<Map<String, String>> rows(int width, double[] softmaxAt, double[] cosineAt, double[] wobble) {
        List<Map<String, String>> out = new ArrayList<>();
        for (int seed = 1; seed <= wobble.length; seed++) {
            for (int i = 0; i < PAIRS.length; i++) {
                double w = wobble[seed - 1];
                for (String lr : seed == 1 ? new String[] {"3e-4", "1e-3", "3e-3"} : new String[] {"1e-3"}) {
                    boolean good = lr.equals("1e-3");
                    out.add(row("softmax", width, PAIRS[i], lr, seed, good ? softmaxAt[i] : 0.1, good ? softmaxAt[i] : 0.1));
                    out.add(row("cosine", width, PAIRS[i], lr, seed, good ? cosineAt[i] + w : 0.1, good ? cosineAt[i] + w : 0.1));
                }
            }
        }
        return out;
    }

    static final double[] PERFECT = {1, 1, 1, 1};

    /** The rate is chosen on seed 1's validation accuracy averaged over N, never on the test set. */
    @Test
    void rateIsChosenOnSeedOneValidationAndReportedOnTest() {
        List<Map<String, String>> rows = new ArrayList<>();
        rows.add(row("cosine", 64, 4, "1e-3", 1, 0.90, 0.70));
        rows.add(row("cosine", 64, 8, "1e-3", 1, 0.70, 0.60));    // 1e-3: mean validation 0.80, the best
        rows.add(row("cosine", 64, 4, "3e-3", 1, 0.95, 0.99));
        rows.add(row("cosine", 64, 8, "3e-3", 1, 0.25, 0.99));    // better at N = 4 and on test: not chosen
        rows.add(row("cosine", 64, 4, "5e-4", 1, 0.80, 0.50));
        rows.add(row("cosine", 64, 8, "5e-4", 1, 0.80, 0.40));    // ties 1e-3: the smaller rate wins
        rows.add(row("cosine", 64, 4, "5e-4", 2, 0.10, 0.30));    // a later seed at the chosen rate
        rows.add(row("cosine", 64, 4, "3e-3", 2, 0.99, 0.99));    // not a sweep row: plays no part in the choice
        assertEquals("5e-4", RecallExperiment.chosenLr(rows));
        List<RecallExperiment.Best> best = RecallExperiment.best(rows);
        assertEquals(2, best.size());
        assertEquals("5e-4", best.get(0).lr());
        assertEquals(4, best.get(0).pairs());
        assertEquals(java.util.Set.of(1, 2), best.get(0).test().keySet());
        assertEquals(0.40, best.get(0).testMean(), 1e-12);
        assertEquals(0.45, best.get(0).validMean(), 1e-12);
        rows.removeIf(r -> r.get("lr").equals("5e-4"));
        assertEquals("1e-3", RecallExperiment.chosenLr(rows));
        assertEquals(0.70, RecallExperiment.best(rows).get(0).testMean(), 1e-12);
    }

    @Test
    void heldWhenCosineMatchesSoftmaxAtTheHardestRecalledPoint() {
        List<Claim> c = RecallExperiment.recallClaims(rows(64, PERFECT, new double[] {0.99, 0.99, 0.98, 0.98},
                new double[] {0.01, -0.01, 0.0}));
        assertEquals(1, c.size());
        assertEquals("R1", c.get(0).id());
        assertEquals(Verdict.HELD, c.get(0).verdict(), c.get(0).toString());
        assertEquals(3, c.get(0).n());
        assertEquals(0.02, c.get(0).estimate(), 1e-9);
        assertTrue(c.get(0).evidence().contains("N = 16"), c.get(0).evidence());
    }

    @Test
    void didNotHoldWhenCosineFallsBehind() {
        List<Claim> c = RecallExperiment.recallClaims(rows(64, PERFECT, new double[] {1.0, 0.9, 0.6, 0.3},
                new double[] {0.02, -0.02}));
        assertEquals(Verdict.DID_NOT_HOLD, c.get(0).verdict(), c.get(0).toString());
        assertEquals(0.7, c.get(0).estimate(), 1e-9);
    }

    /** Softmax recalls up to N = 8 only: the claim is judged at N = 8, where cosine keeps up. */
    @Test
    void judgedAtTheLargestNWhereSoftmaxRecalls() {
        List<Claim> c = RecallExperiment.recallClaims(rows(64, new double[] {1, 1, 0.95, 0.5},
                new double[] {1, 1, 0.95, 0.1}, new double[] {0.0, 0.001, -0.001}));
        assertEquals(Verdict.HELD, c.get(0).verdict(), c.get(0).toString());
        assertTrue(c.get(0).evidence().contains("N = 8"), c.get(0).evidence());
    }

    @Test
    void notTestableWhenSoftmaxNeverRecallsOrSeedsDisagree() {
        Claim unlearned = RecallExperiment.recallClaims(rows(64, new double[] {0.5, 0.3, 0.2, 0.1},
                new double[] {0.5, 0.3, 0.2, 0.1}, new double[] {0, 0})).get(0);
        assertEquals(Verdict.NOT_TESTABLE, unlearned.verdict());
        assertTrue(unlearned.evidence().contains("not learned"), unlearned.evidence());
        // One seed's cosine matches softmax, the other's is 20 points behind: the interval straddles the margin.
        Claim noisy = RecallExperiment.recallClaims(rows(64, PERFECT, new double[] {0.9, 0.9, 0.9, 0.9},
                new double[] {0.1, -0.1})).get(0);
        assertEquals(Verdict.NOT_TESTABLE, noisy.verdict(), noisy.toString());
        // One seed: no interval.
        Claim single = RecallExperiment.recallClaims(rows(64, PERFECT, PERFECT, new double[] {0})).get(0);
        assertEquals(Verdict.NOT_TESTABLE, single.verdict());
    }

    @Test
    void oneRowPerWidthAndNotMeasuredWithoutRows() {
        List<Map<String, String>> rows = new ArrayList<>(rows(64, PERFECT, new double[] {1, 0.9, 0.6, 0.3},
                new double[] {0.01, -0.01}));
        rows.addAll(rows(128, PERFECT, new double[] {0.99, 0.99, 0.99, 0.98}, new double[] {0.001, -0.001}));
        List<Claim> c = RecallExperiment.recallClaims(rows);
        assertEquals(List.of("R1a", "R1b"), c.stream().map(Claim::id).toList());
        assertEquals(Verdict.DID_NOT_HOLD, c.get(0).verdict());
        assertEquals(Verdict.HELD, c.get(1).verdict());
        assertTrue(c.get(1).statement().contains("E = 128"));
        Claim none = RecallExperiment.recallClaims(List.of()).get(0);
        assertEquals("R1", none.id());
        assertEquals(Verdict.NOT_MEASURED, none.verdict());
    }
}
