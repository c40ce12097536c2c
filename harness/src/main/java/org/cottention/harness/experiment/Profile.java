package org.cottention.harness.experiment;

import java.util.Locale;

/**
 * How big a reproduction to run. {@code smoke}: every experiment at toy size, for CI (minutes). {@code default}:
 * the CPU-scale reproduction (about an hour and a half on 2 cores). {@code paper}: the paper's model sizes,
 * lengths and steps, for GPU clusters; it refuses to start where it cannot fit unless forced.
 */
public enum Profile {
    SMOKE, DEFAULT, PAPER;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Profile parse(String s) {
        for (Profile p : values()) if (p.label().equals(s)) return p;
        throw new IllegalArgumentException("unknown profile '" + s + "'; profiles: smoke, default, paper");
    }
}
