package org.cottention.harness.experiment;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cottention.harness.Main;
import org.cottention.harness.results.Progress;

/**
 * Runs a reproduction: every configuration of the selected experiments in a JVM of its own (so that each
 * peak-memory figure is its own), skipping configurations whose rows are already there, so a rerun resumes where
 * an interrupted one stopped; then the merged CSV tables, the plots and DIR/README.md.
 */
public final class Reproduction {
    private Reproduction() {}

    /** Prints the paper profile's estimated memory and compute and returns whether this machine holds it. */
    public static boolean paperProfileFits(PrintStream out) {
        return PaperProfile.fits(out);
    }

    /** Returns the exit code: 0 when every configuration finished, 1 when some failed (rerun to retry them). */
    public static int run(Profile profile, List<Experiment> selected, String backend, Path dir, PrintStream out)
            throws Exception {
        Files.createDirectories(dir);
        out.printf("reproduce: profile %s, backend %s, writing to %s%n", profile.label(), backend, dir);
        List<String> failures = new ArrayList<>();
        for (Experiment e : selected) {
            List<RunConfig> configs = e.configs(profile);
            List<RunConfig> todo = configs.stream().filter(c -> !Files.isRegularFile(Experiments.rowsFile(dir, e, c)))
                    .toList();
            out.printf("reproduce: %s: %d configurations%s%n", e.name(), configs.size(),
                    todo.size() < configs.size() ? ", " + (configs.size() - todo.size()) + " already done (resuming)" : "");
            Progress progress = new Progress("reproduce " + e.name(), todo.size(), out);
            for (RunConfig c : todo) {
                progress.starting(c.key());
                int code = runChild(e, c, profile, backend, dir);
                if (code != 0) {
                    failures.add(e.name() + "/" + c.key() + " (exit " + code + "; log: " + Experiments.logFile(dir, e, c) + ")");
                    out.println("reproduce: " + e.name() + "/" + c.key() + " FAILED with exit code " + code + "; see "
                            + Experiments.logFile(dir, e, c));
                }
                progress.finished();
            }
            List<Map<String, String>> rows = Experiments.merge(dir, e, profile);
            if (!rows.isEmpty()) {
                e.report(profile, dir, rows);
                out.printf("reproduce: %s: %d rows in %s%n", e.name(), rows.size(), dir.resolve(e.name() + ".csv"));
            }
        }
        ReportWriter.write(dir, profile, out);
        if (!failures.isEmpty()) {
            out.println("reproduce: " + failures.size() + " configuration(s) failed; rerun to retry them:");
            failures.forEach(f -> out.println("  " + f));
            return 1;
        }
        out.println("reproduce: done; tables, plots and README.md in " + dir);
        return 0;
    }

    /** Runs one configuration in a fresh JVM with this JVM's flags and classpath; its output goes to its log. */
    static int runChild(Experiment e, RunConfig c, Profile profile, String backend, Path dir) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!arg.startsWith("-agentlib") && !arg.startsWith("-javaagent")) cmd.add(arg);
        }
        cmd.addAll(e.jvmArgs());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of("experiment-run", "--experiment", e.name(), "--config", c.key(), "--profile",
                profile.label(), "--out", dir.toString(), "--backend", backend));
        Path log = Experiments.logFile(dir, e, c);
        Files.createDirectories(log.getParent());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        Process p = pb.start();
        Thread killer = new Thread(p::destroyForcibly);
        Runtime.getRuntime().addShutdownHook(killer);   // Ctrl-C or kill of this runner stops the child too
        try {
            return p.waitFor();
        } finally {
            Runtime.getRuntime().removeShutdownHook(killer);
        }
    }
}
