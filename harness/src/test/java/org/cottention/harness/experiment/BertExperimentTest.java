package org.cottention.harness.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Claim 1's aggregation on synthetic rows: the unit of pairing (pretraining seeds, fine-tuning seeds averaged
 * within each), every verdict the rule can give for 1a/1b and 1c, and the order of the configurations (every
 * fine-tuning run after the pretraining it reads).
 */
class BertExperimentTest {
    private static final BertExperiment BERT = new BertExperiment();

    /** A fine-tuning row of the fair arm. */
    private static Map<String, String> ft(String task, String kind, int p, int f, double accuracy) {
        Map<String, String> r = new LinkedHashMap<>();
        r.put("phase", "finetune");
        r.put("arm", "fair");
        r.put("task", task);
        r.put("attention", kind);
        r.put("status", "ok");
        r.put("pretrain_seed", Integer.toString(p));
        r.put("finetune_seed", Integer.toString(f));
        r.put("eval_accuracy", String.format(Locale.ROOT, "%.6f", accuracy));
        return r;
    }

    private static Map<String, String> pre(String kind, int p, double loss) {
        Map<String, String> r = new LinkedHashMap<>();
        r.put("phase", "pretrain");
        r.put("arm", "fair");
        r.put("attention", kind);
        r.put("status", "ok");
        r.put("pretrain_seed", Integer.toString(p));
        r.put("eval_loss", String.format(Locale.ROOT, "%.6f", loss));
        return r;
    }

    /** Rows where softmax - cosine accuracy is gaps[p] points at pretraining seed p, +-spread over fine-tuning seeds. */
    private static List<Map<String, String>> rows(String task, double[] gaps, double spread) {
        List<Map<String, String>> rows = new ArrayList<>();
        for (int p = 1; p <= gaps.length; p++) {
            for (int f = 1; f <= 3; f++) {
                double noise = (f - 2) * spread / 100, base = 0.70 + 0.01 * p;
                rows.add(ft(task, "softmax", p, f, base + gaps[p - 1] / 100 + noise));
                rows.add(ft(task, "cosine", p, f, base - noise));
            }
        }
        return rows;
    }

    private static Claim claim(List<Map<String, String>> rows, String id) {
        return BERT.claims(Profile.LONG, Map.of("bert", rows)).stream().filter(c -> c.id().equals(id)).findFirst()
                .orElseThrow();
    }

    /** A recipe change reaches exactly the configurations it affects, through their recipe parameter. */
    @Test
    void theRecipeFingerprintFollowsWhatEachRunDependsOn() throws Exception {
        BertExperiment.Size base = BertExperiment.size(Profile.DEFAULT);
        Map<String, String> now = recipes(base);
        Map<String, String> pooled = recipes(BertProbe.change(base, new java.util.HashMap<>(Map.of("pooling", "CLS"))));
        Map<String, String> longer = recipes(BertProbe.change(base, new java.util.HashMap<>(Map.of("preSteps", "1300"))));
        for (String key : now.keySet()) {
            boolean finetune = key.startsWith("finetune-");
            if (!finetune && !key.startsWith("pretrain-")) continue;
            assertEquals(!finetune, now.get(key).equals(pooled.get(key)), "pooling changes fine-tuning only: " + key);
            assertFalse(now.get(key).equals(longer.get(key)), "pretraining steps change every model run: " + key);
        }
        assertFalse(now.get("finetune-imdb-softmax-p1-f1").equals(now.get("finetune-acceptability-softmax-p1-f1")),
                "the tasks' step counts differ");
    }

    private static Map<String, String> recipes(BertExperiment.Size r) {
        Map<String, String> out = new LinkedHashMap<>();
        for (RunConfig c : new BertExperiment(p -> r).configs(Profile.DEFAULT)) out.put(c.key(), c.params().get("recipe"));
        return out;
    }

    @Test
    void theGapPairsByPretrainingSeedAfterAveragingFineTuningSeeds() {
        List<Map<String, String>> rows = rows("imdb", new double[] {1.0, 2.0, 3.0}, 4.0);
        BertExperiment.Gap g = BertExperiment.accuracyGap(rows, "fair", "imdb");
        assertEquals(3, g.gap().n(), "n = pretraining seeds, not (pretraining, fine-tuning) pairs");
        assertEquals(2.0, g.gap().estimate(), 1e-9);
        assertEquals(1.0, g.gap().sd(), 1e-9, "the fine-tuning noise averages out within each pretraining seed");
        assertEquals(9, g.runs());
        // a fine-tuning seed that only one attention finished is left out of both means
        rows.add(ft("imdb", "softmax", 1, 4, 0.99));
        assertEquals(2.0, BertExperiment.accuracyGap(rows, "fair", "imdb").gap().estimate(), 1e-9);
    }

    @Test
    void claimOneGivesEveryOutcome() {
        assertEquals(Verdict.HELD, claim(rows("imdb", new double[] {0.1, 0.2, 0.3}, 1), "1a").verdict(),
                "interval [-0.05, 0.45] inside +1.3");
        assertEquals(Verdict.HELD, claim(rows("acceptability", new double[] {-2.1, -2.0, -1.9}, 1), "1b").verdict(),
                "cosine better");
        assertEquals(Verdict.DID_NOT_HOLD, claim(rows("imdb", new double[] {3.0, 3.1, 3.2}, 1), "1a").verdict(),
                "entirely beyond the margin");
        assertEquals(Verdict.NOT_TESTABLE, claim(rows("imdb", new double[] {-1, 1, 3}, 1), "1a").verdict(),
                "straddles the margin");
        Claim one = claim(rows("imdb", new double[] {0.1}, 1), "1a");
        assertEquals(Verdict.NOT_TESTABLE, one.verdict(), "one pretraining seed: no interval over encoders");
        assertTrue(one.evidence().contains("fine-tuning noise only"), one.evidence());
        assertEquals(Verdict.NOT_MEASURED, claim(List.of(), "1b").verdict());
    }

    @Test
    void moreSpreadBetweenPretrainingSeedsNeverMakesTheVerdictEasier() {
        // the same mean gap, ten times the spread between pretraining seeds: the interval widens past the margin
        List<Map<String, String>> tight = rows("imdb", new double[] {0.4, 0.5, 0.6}, 0);
        List<Map<String, String>> noisy = rows("imdb", new double[] {-2.5, 0.5, 3.5}, 0);
        assertEquals(Verdict.HELD, claim(tight, "1a").verdict());
        assertEquals(Verdict.NOT_TESTABLE, claim(noisy, "1a").verdict());
    }

    @Test
    void claimOneCJudgesTheLossGapAgainstThePapersGapPerByte() {
        List<Map<String, String>> close = List.of(pre("softmax", 1, 2.00), pre("cosine", 1, 2.01), pre("softmax", 2, 2.02),
                pre("cosine", 2, 2.03), pre("softmax", 3, 1.98), pre("cosine", 3, 1.99));
        assertEquals(Verdict.HELD, claim(close, "1c").verdict());
        assertEquals(0.01, claim(close, "1c").estimate(), 1e-9);
        List<Map<String, String>> far = List.of(pre("softmax", 1, 2.00), pre("cosine", 1, 2.20), pre("softmax", 2, 2.02),
                pre("cosine", 2, 2.21), pre("softmax", 3, 1.98), pre("cosine", 3, 2.19));
        assertEquals(Verdict.DID_NOT_HOLD, claim(far, "1c").verdict());
        List<Map<String, String>> wide = List.of(pre("softmax", 1, 2.00), pre("cosine", 1, 1.90), pre("softmax", 2, 2.02),
                pre("cosine", 2, 2.22));
        assertEquals(Verdict.NOT_TESTABLE, claim(wide, "1c").verdict());
        assertEquals(Verdict.NOT_TESTABLE, claim(List.of(pre("softmax", 1, 2.0), pre("cosine", 1, 2.0)), "1c").verdict(),
                "one pretraining seed");
        assertEquals(Verdict.NOT_MEASURED, claim(List.of(), "1c").verdict());
    }

    @Test
    void everyFineTuningRunComesAfterThePretrainingItReads() {
        for (Profile p : Profile.values()) {
            List<RunConfig> configs = BERT.configs(p);
            Set<String> seen = new HashSet<>(), keys = new HashSet<>();
            for (RunConfig c : configs) {
                assertTrue(keys.add(c.key()), "duplicate " + c.key());
                if (c.get("phase").equals("finetune")) {
                    String pre = BertExperiment.pretrainKey(BertExperiment.Arm.parse(c.get("arm")), c.get("attention"),
                            c.getInt("pretrain_seed"));
                    assertTrue(seen.contains(pre), c.key() + " before " + pre);
                }
                seen.add(c.key());
            }
            long pretraining = configs.stream().filter(c -> c.get("phase").equals("pretrain")).count();
            BertExperiment.Size r = BertExperiment.size(p);
            assertEquals(2L * (r.pretrainSeeds() + r.referenceSeeds()), pretraining, p.label());
        }
        assertTrue(BertExperiment.size(Profile.LONG).pretrainSeeds() >= 2, "long: at least 2 pretraining seeds");
        assertFalse(BERT.configs(Profile.SMOKE).stream().anyMatch(c -> c.params().getOrDefault("arm", "").equals("reference")),
                "smoke: no reference arm");
    }
}
