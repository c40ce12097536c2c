package org.cottention.harness.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every training configuration carries a fingerprint of the recipe its profile fixes in code, so a shard made with
 * another recipe runs again (ShardsTest: other parameters make a shard unfinished), while a change that does not
 * touch a run (another seed count) keeps its shard.
 */
class RecipeFingerprintTest {

    private static Map<String, String> recipes(Experiment e, Profile p) {
        Map<String, String> out = new LinkedHashMap<>();
        for (RunConfig c : e.configs(p)) out.put(c.key(), c.params().get("recipe"));
        return out;
    }

    @Test
    void everyTrainingConfigurationHasOne() {
        for (Experiment e : List.of(new GptExperiment(), new StabilityExperiment(), new RecallExperiment())) {
            for (Profile p : Profile.values()) {
                recipes(e, p).forEach((key, recipe) ->
                        assertTrue(recipe != null && recipe.matches("[0-9a-f]{12}"), e.name() + "/" + key + " in " + p));
            }
        }
    }

    /** default and long differ in GPT seeds only: their seed-1 runs are the same runs, with the same fingerprint. */
    @Test
    void aSeedCountIsNotPartOfTheRecipe() {
        Map<String, String> def = recipes(new GptExperiment(), Profile.DEFAULT), lng = recipes(new GptExperiment(), Profile.LONG);
        assertEquals(def.get("sweep-M-cosine-lr3e-2"), lng.get("sweep-M-cosine-lr3e-2"));
        assertEquals(def.get("ladder-L-softmax-seed1"), lng.get("ladder-L-softmax-seed1"));
        assertNotEquals(def.get("sweep-S-cosine-lr3e-2"), def.get("sweep-M-cosine-lr3e-2"), "another rung, another recipe");
    }

    /** Stability and recall train longer in long than in default: the same keys, other fingerprints. */
    @Test
    void moreStepsAreAnotherRecipe() {
        assertNotEquals(recipes(new StabilityExperiment(), Profile.DEFAULT).get("s256-lrx1-seed1-with"),
                recipes(new StabilityExperiment(), Profile.LONG).get("s256-lrx1-seed1-with"));
        assertNotEquals(recipes(new RecallExperiment(), Profile.DEFAULT).get("cosine-E64-seed1-lr5e-4"),
                recipes(new RecallExperiment(), Profile.LONG).get("cosine-E64-seed1-lr5e-4"));
    }
}
