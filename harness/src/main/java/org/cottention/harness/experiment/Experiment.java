package org.cottention.harness.experiment;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One experiment of the reproduction. The runner asks it for its configurations, runs each in a JVM of its own
 * (so that each peak-memory figure belongs to that configuration alone) and keeps every configuration's rows in
 * a file of their own, so an interrupted run resumes where it stopped. When all configurations are done, the
 * rows are merged into {@code <out>/<name>.csv} and {@link #report} draws the plots.
 */
public interface Experiment {
    String name();

    /** One line for listings. */
    String description();

    /** The table's own columns (the standard and provenance columns are added by the runner). */
    List<String> columns();

    List<RunConfig> configs(Profile profile);

    /**
     * Runs one configuration in this JVM and returns its rows (column -> value). out: the results folder (files
     * that outlive the run, such as checkpoints, go to {@link Experiments#workDir}).
     */
    List<Map<String, Object>> run(RunConfig config, Profile profile, Path out, PrintStream log) throws Exception;

    /** Plots (PNG) next to the table, from the merged rows; may be a no-op. */
    default void report(Profile profile, Path dir, List<Map<String, String>> rows) throws Exception {}

    /**
     * Extra JVM flags for this experiment's child JVMs. The model experiments cap the Java heap: an uncapped heap
     * grows with garbage up to a quarter of RAM and would dominate the peak-RSS figures.
     */
    default List<String> jvmArgs() {
        return List.of();
    }

    /** Whether the table has rows of both attentions (the results check requires them then). */
    default boolean comparesAttentions() {
        return true;
    }

    /** This experiment's section of results/PROFILE/README.md: Markdown tables, plot links, paper figures. */
    String markdown(Profile profile, List<Map<String, String>> rows);

    /**
     * The claims this experiment's rows judge (claims.csv), each with its test, n, estimate, interval, threshold and
     * verdict; tables: every experiment's merged rows by name (empty when not run). None by default.
     */
    default List<Claim> claims(Profile profile, Map<String, List<Map<String, String>>> tables) {
        return List.of();
    }
}
