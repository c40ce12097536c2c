package org.cottention.harness.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Claim 8's rule, every outcome: held, did not hold (the step's allocation or the state grows), not measured. */
class DecodingClaimTest {
    /** Cosine rows at positions 1k..32k: step bytes and state MiB from the functions given, RSS growing with P. */
    static List<Map<String, String>> rows(double stepGrowth, double stateGrowth) {
        List<Map<String, String>> rows = new ArrayList<>();
        int[] positions = {1024, 8192, 32768};
        for (int i = 0; i < positions.length; i++) {
            double f = i / (double) (positions.length - 1);
            rows.add(Map.of("attention", "cosine", "status", "ok", "position", Integer.toString(positions[i]),
                    "step_alloc_bytes", Double.toString(62208 * (1 + f * (stepGrowth - 1))),
                    "state_mib", Double.toString(0.5 * (1 + f * (stateGrowth - 1))),
                    "rss_mib", Double.toString(300 + positions[i] / 150.0)));
            rows.add(Map.of("attention", "softmax", "status", "ok", "position", Integer.toString(positions[i]),
                    "step_alloc_bytes", Double.toString(64.0 * positions[i]), "state_mib", Double.toString(positions[i] / 64.0),
                    "rss_mib", Double.toString(300 + positions[i] / 50.0)));
        }
        return rows;
    }

    static Claim claim(List<Map<String, String>> rows) {
        return new DecodingExperiment().claims(Profile.DEFAULT, Map.of("decoding", rows)).get(0);
    }

    @Test
    void constantStepAndStateHoldAlthoughRssGrowsWithThePrefill() {
        Claim c = claim(rows(1.0, 1.0));
        assertEquals(Verdict.HELD, c.verdict(), c.toString());
        assertTrue(c.evidence().contains("does not decide"), c.evidence());
    }

    @Test
    void aGrowingStepOrStateDoesNotHold() {
        assertEquals(Verdict.DID_NOT_HOLD, claim(rows(1.2, 1.0)).verdict());
        assertEquals(Verdict.DID_NOT_HOLD, claim(rows(1.0, 1.06)).verdict());
        assertTrue(DecodingExperiment.constantMemory(1.05, 1.05), "exactly at the limit holds");
        assertFalse(DecodingExperiment.constantMemory(1.0501, 1.0));
    }

    @Test
    void noRowsIsNotMeasured() {
        assertEquals(Verdict.NOT_MEASURED, claim(List.of()).verdict());
    }
}
