package org.cottention.harness.experiment;

import java.util.Locale;

/**
 * How big a reproduction to run. {@code smoke}: every experiment at toy size, for CI (minutes). {@code default}:
 * the CPU-scale reproduction (at most an hour and a half on 2 cores). {@code long}: the same experiments with a
 * third seed and a larger model at the top of the ladder (at most two and a half hours on 2 cores).
 * {@code paper}: the paper's model sizes, lengths and steps, for GPU clusters; it refuses to start where it cannot
 * fit unless forced.
 */
public enum Profile {
    SMOKE, DEFAULT, LONG, PAPER;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Profile parse(String s) {
        for (Profile p : values()) if (p.label().equals(s)) return p;
        throw new IllegalArgumentException("unknown profile '" + s + "'; profiles: smoke, default, long, paper");
    }
}
