package org.cottention.harness.experiment;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.cottention.harness.results.Column;

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

    /**
     * The table's own columns with their types and when each must be present (the standard, run and provenance
     * columns are added by {@link Experiments#schema}); the results check holds every table to this.
     */
    List<Column> columns();

    /**
     * The configurations of a profile, in the order a single runner runs them; a configuration that needs
     * another's output names it in {@link RunConfig#after}, and an earlier configuration.
     */
    List<RunConfig> configs(Profile profile);

    /** How many rows one configuration writes, where that is fixed by the profile (the results check counts them). */
    default OptionalInt expectedRows(RunConfig config, Profile profile) {
        return OptionalInt.of(1);
    }

    /**
     * What one configuration needs: memory, time, GPUs (the Slurm executor requests it per task). An estimate
     * from the profile's sizes, with its formula in {@link Resources}; not a measurement.
     */
    Resources resources(RunConfig config, Profile profile);

    /**
     * Runs one configuration in this JVM and returns its rows (column -> value). out: the results folder (files
     * that outlive the run, such as checkpoints, go to {@link Experiments#workDir}).
     */
    List<Map<String, Object>> run(RunConfig config, Profile profile, Path out, PrintStream log) throws Exception;

    /**
     * Plots (PNG) from the merged rows, written into {@code into} (a staging folder the runner publishes from);
     * {@code results} is the results folder, for files the configurations kept (learning curves). May be a no-op.
     */
    default void report(Profile profile, Path results, Path into, List<Map<String, String>> rows) throws Exception {}

    /**
     * Extra JVM flags for this experiment's child JVMs. The model experiments cap the Java heap: an uncapped heap
     * grows with garbage up to a quarter of RAM and would dominate the peak-RSS figures.
     */
    default List<String> jvmArgs() {
        return List.of();
    }

    /** Whether a configuration too big for the machine is recorded as skipped instead of failing (the paper check). */
    default boolean skipsWhatDoesNotFit() {
        return false;
    }

    /**
     * Whether this experiment's configurations are timing measurements that must have the machine to themselves:
     * under --jobs N the runner starts one only when nothing else runs, gives it every thread, and starts nothing
     * beside it (its rows record jobs 1).
     */
    default boolean runsAlone() {
        return false;
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
