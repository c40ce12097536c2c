package org.cottention.harness.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.cottention.harness.train.Trainer;
import org.junit.jupiter.api.Test;

class ModelRunsTest {

    /** A learning curve (columns found by name): step i's tokens/s = speeds[i - 1], real tokens/s 0.9 of it. */
    private static List<String> curve(double... speeds) {
        List<String> cols = List.of("step", "train_loss", "tokens_per_s", "rss_mb", "real_tokens_per_s");
        List<String> lines = new ArrayList<>();
        lines.add(String.join(",", cols));
        for (int i = 0; i < speeds.length; i++) {
            String[] f = new String[cols.size()];
            java.util.Arrays.fill(f, "");
            f[cols.indexOf("step")] = Integer.toString(i + 1);
            f[cols.indexOf("tokens_per_s")] = Double.toString(speeds[i]);
            f[cols.indexOf("real_tokens_per_s")] = Double.toString(0.9 * speeds[i]);
            lines.add(String.join(",", f));
        }
        return lines;
    }

    private static Trainer.Outcome outcome(double median, double real, List<String> curve) {
        return new Trainer.Outcome(10, 1.0, 1.0, 0.5, median, 0, 0, curve, real, -1, "");
    }

    @Test
    void aRunTimedInThisProcessReportsItsOwnMedian() {
        Trainer.Outcome o = outcome(1234, 1000, curve(1, 2, 3, 4, 5, 6));
        assertEquals(1234, ModelRuns.tokensPerSecond(o));
        assertEquals(1000, ModelRuns.realTokensPerSecond(o));
    }

    @Test
    void aRunResumedAtItsEndReportsTheMedianItsCurveRecordedAfterTheWarmUp() {
        // The first 3 steps are warm-up (skipped, as the trainer does); steps 4-8: 40, 10, 30, 20, 50 -> median 30.
        Trainer.Outcome o = outcome(Double.NaN, Double.NaN, curve(1000, 1000, 1000, 40, 10, 30, 20, 50));
        assertEquals(30, ModelRuns.tokensPerSecond(o), 1e-9);
        assertEquals(27, ModelRuns.realTokensPerSecond(o), 1e-9);
    }

    @Test
    void noTimedStepAnywhereIsNaN() {
        assertTrue(Double.isNaN(ModelRuns.tokensPerSecond(outcome(Double.NaN, Double.NaN, curve(5, 6, 7)))));
        assertTrue(Double.isNaN(ModelRuns.realTokensPerSecond(outcome(Double.NaN, Double.NaN, List.of()))));
    }
}
