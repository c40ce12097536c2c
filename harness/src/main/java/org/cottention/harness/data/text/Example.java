package org.cottention.harness.data.text;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One labelled example for sequence classification.
 *
 * @param id    stable id: the review's index in reviews.json for IMDB, "RULE_GROUP#k" for acceptability
 * @param group examples of one group always share a split (the LanguageTool rule group; the id for IMDB)
 * @param text  the sentence or review (segment A)
 * @param textB segment B for sentence-pair tasks, or null
 * @param label class index (IMDB: 0 negative, 1 positive; acceptability: 0 unacceptable, 1 acceptable)
 */
public record Example(String id, String group, String text, String textB, int label) {
    public boolean isPair() {
        return textB != null;
    }

    /**
     * The first occurrence of each text (segment A and B), in order; a text seen with two different labels is
     * dropped entirely. Splitting after this keeps every text in one split only.
     */
    public static List<Example> deduplicate(List<Example> examples) {
        Map<String, Integer> labelOf = new HashMap<>();
        Set<String> conflicting = new HashSet<>();
        for (Example e : examples) {
            Integer prev = labelOf.putIfAbsent(e.key(), e.label());
            if (prev != null && prev != e.label()) conflicting.add(e.key());
        }
        Set<String> seen = new HashSet<>();
        List<Example> out = new ArrayList<>();
        for (Example e : examples) if (!conflicting.contains(e.key()) && seen.add(e.key())) out.add(e);
        return out;
    }

    private String key() {
        return textB == null ? text : text + "\u0000" + textB;
    }
}
