package org.cottention.harness.experiment;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One configuration of an experiment: what one child JVM runs. The key names its result file, so it is
 * filesystem-safe and unique within the experiment.
 *
 * @param after the configurations whose output this one reads, as "experiment/key" (a BERT fine-tuning run reads
 *              its pretraining checkpoint): runners start it only once those have finished (the local runner's
 *              --jobs waits for them; the Slurm executor puts it in a later array that depends on theirs)
 */
public record RunConfig(String key, Map<String, String> params, List<String> after) {
    public RunConfig {
        if (!key.matches("[A-Za-z0-9._=-]+")) throw new IllegalArgumentException("bad config key " + key);
        params = Map.copyOf(new LinkedHashMap<>(params));
        after = List.copyOf(after);
        for (String a : after) {
            if (!a.matches("[a-z_]+/[A-Za-z0-9._=-]+")) throw new IllegalArgumentException("bad dependency " + a);
        }
    }

    public RunConfig(String key, Map<String, String> params) {
        this(key, params, List.of());
    }

    /** This configuration, to be run after the given ones ("experiment/key"). */
    public RunConfig after(String... ids) {
        return new RunConfig(key, params, List.of(ids));
    }

    public String get(String name) {
        String v = params.get(name);
        if (v == null) throw new IllegalArgumentException("config " + key + " has no parameter " + name);
        return v;
    }

    public int getInt(String name) {
        return Integer.parseInt(get(name));
    }
}
