package org.cottention.harness.experiment;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One configuration of an experiment: what one child JVM runs. The key names its result file, so it is
 * filesystem-safe and unique within the experiment.
 */
public record RunConfig(String key, Map<String, String> params) {
    public RunConfig {
        if (!key.matches("[A-Za-z0-9._=-]+")) throw new IllegalArgumentException("bad config key " + key);
        params = Map.copyOf(new LinkedHashMap<>(params));
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
