package org.cottention.harness.experiment;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.cottention.harness.Main;
import org.cottention.harness.cli.Args;
import org.cottention.harness.cli.CliException;
import org.cottention.harness.results.Progress;

/**
 * {@code ./cottention reproduce} (what ./reproduce.sh runs): every experiment configuration in a JVM of its
 * own, resuming where an earlier run stopped; then the merged CSV tables, the plots and results/PROFILE/README.md.
 */
public final class ReproduceCommand {
    private ReproduceCommand() {}

    static final String USAGE = """
            usage: ./reproduce.sh [--profile smoke|default|paper] [--only EXPERIMENT,...] [--backend cpu|cuda]
                                  [--out DIR] [--force] [--list]

              Runs the experiments, each configuration in its own JVM (so each peak-memory figure is its own),
              and writes DIR/<experiment>.csv, PNG plots and DIR/README.md (DIR defaults to results/PROFILE).
              A rerun skips finished configurations; an interrupted run loses nothing already written.
              --profile smoke: toy sizes (minutes, for CI); default: CPU scale; paper: the paper's sizes, which
              prints its estimated memory and time and refuses to start where they do not fit, unless --force.
            """;

    public static int run(String[] argv, PrintStream out) throws Exception {
        Args a = Args.parse("reproduce", argv, Set.of("profile", "only", "backend", "out"),
                Set.of("force", "list", "help"));
        if (a.has("help")) {
            out.print(USAGE);
            return 0;
        }
        if (a.has("list")) {
            for (Experiment e : Experiments.all()) out.printf("  %-20s %s%n", e.name(), e.description());
            return 0;
        }
        Profile profile;
        try {
            profile = Profile.parse(a.get("profile", "default"));
        } catch (IllegalArgumentException e) {
            throw new CliException("reproduce: " + e.getMessage());
        }
        String backend = a.oneOf("backend", "cpu", "cpu", "cuda");
        if (backend.equals("cuda")) {
            throw new CliException("reproduce: --backend cuda: this build runs the experiments on the CPU only "
                    + "(the CUDA kernels are validated by scripts/gpu-check.sh); use --backend cpu");
        }
        List<Experiment> selected = select(a.get("only"));
        Path dir = Path.of(a.get("out", "results/" + profile.label()));
        if (profile == Profile.PAPER && !PaperProfile.fits(out) && !a.has("force")) {
            throw new CliException("reproduce: the paper profile does not fit this machine (estimates above); "
                    + "run it on a GPU cluster, or add --force to start anyway");
        }
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
            List<java.util.Map<String, String>> rows = Experiments.merge(dir, e, profile);
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

    private static List<Experiment> select(String only) {
        if (only == null) return Experiments.all();
        Set<String> names = new LinkedHashSet<>(List.of(only.split(",")));
        List<Experiment> out = new ArrayList<>();
        for (String n : names) {
            out.add(Experiments.find(n.trim()).orElseThrow(() -> new CliException("reproduce: unknown experiment '"
                    + n + "' in --only; experiments: " + String.join(", ", Experiments.names()))));
        }
        return out;
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
