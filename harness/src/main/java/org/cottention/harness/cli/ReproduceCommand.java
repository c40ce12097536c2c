package org.cottention.harness.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.cottention.harness.Args;
import org.cottention.harness.CliException;
import org.cottention.harness.experiment.Experiment;
import org.cottention.harness.experiment.Experiments;
import org.cottention.harness.experiment.Profile;
import org.cottention.harness.experiment.Reproduction;
import org.cottention.harness.experiment.SlurmExecutor;
import org.cottention.harness.io.RepositoryRoot;

/**
 * {@code ./cottention reproduce} (what ./reproduce.sh runs): every experiment configuration in a JVM of its
 * own, resuming where an earlier run stopped; then the merged CSV tables, the plots and results/PROFILE/README.md.
 */
public final class ReproduceCommand {
    private ReproduceCommand() {}

    /** CPUs (and threads) per Slurm task without --slurm-cpus: what the default profile was measured with. */
    static final int DEFAULT_SLURM_CPUS = 2;

    static final String USAGE = """
            usage: ./reproduce.sh [--profile smoke|default|long|paper] [--only EXPERIMENT,...] [--backend cpu|cuda]
                                  [--out DIR] [--jobs N] [--force] [--report-only] [--list]
                                  [--executor local|slurm] [--slurm-partition P] [--slurm-time T] [--slurm-mem M]
                                  [--slurm-gpus N] [--slurm-cpus N] [--slurm-extra '...'] [--slurm-limit L]
                                  [--dry-run] [--slurm-wait]

              Runs the experiments, each configuration in its own JVM (so each peak-memory figure is its own),
              and writes DIR/<experiment>.csv, PNG plots and DIR/README.md (DIR defaults to results/PROFILE in
              the repository). A rerun skips finished configurations and reruns damaged ones; an interrupted run
              loses nothing already written.
              --profile smoke: toy sizes (minutes, for CI); default: CPU scale (<= 90 min on 2 cores); long: a
              third seed and a larger model (<= 150 min); paper: the paper's sizes, which
              prints its estimated memory and time and refuses to start where they do not fit, unless --force.
              --jobs N: N configurations at once, the threads (OMP_NUM_THREADS, else the cores) split between
              them (default %d); rows record their threads and jobs, timing columns compare only at equal jobs.
              --report-only: run nothing; merge the finished shards into the tables, plots and README; a
              configuration without a finished shard makes it write nothing and exit 1.
              --executor slurm: one job array per experiment (and dependency wave), task i = configuration i,
              each task requesting the largest estimate of its array (memory, time; override with --slurm-mem
              4G, --slurm-time 1-00:00:00, --slurm-gpus N), --slurm-cpus N (default %d) CPUs and threads per
              task, at most --slurm-limit L tasks of an array at once, and a report job after them (afterok).
              Scripts go to DIR/.slurm/; --dry-run writes them only; --slurm-wait waits for the jobs and
              prints sacct (exit 1 if a task failed). See docs/slurm.md.
            """.formatted(Reproduction.DEFAULT_JOBS, DEFAULT_SLURM_CPUS);


    public static int run(String[] argv, PrintStream out) throws Exception {
        Args a = Args.parse("reproduce", argv, Set.of("profile", "only", "backend", "out", "jobs", "executor",
                "slurm-partition", "slurm-time", "slurm-mem", "slurm-gpus", "slurm-cpus", "slurm-extra", "slurm-limit"),
                Set.of("force", "list", "help", "report-only", "dry-run", "slurm-wait"));
        if (a.has("help")) {
            out.print(USAGE);
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
        Path dir = a.has("out") ? Path.of(a.get("out")).toAbsolutePath()
                : RepositoryRoot.get().resolve("results").resolve(profile.label());
        int jobs = a.positiveInt("jobs", Reproduction.DEFAULT_JOBS);
        Reproduction.Settings settings = new Reproduction.Settings(profile, selected, backend, dir, jobs,
                Reproduction.machineThreads(), commandLine(argv));
        boolean slurm = a.oneOf("executor", "local", "local", "slurm").equals("slurm");
        for (String flag : List.of("slurm-partition", "slurm-time", "slurm-mem", "slurm-gpus", "slurm-cpus", "slurm-extra",
                "slurm-limit", "dry-run", "slurm-wait")) {
            if (a.has(flag) && !slurm) throw new CliException("reproduce: --" + flag + " needs --executor slurm");
        }
        if (slurm && (a.has("jobs") || a.has("report-only"))) {
            throw new CliException("reproduce: --executor slurm: " + (a.has("jobs") ? "--jobs is local; use --slurm-limit"
                    : "--report-only runs here; drop --executor slurm"));
        }
        SlurmExecutor.Options slurmOptions = slurm ? slurmOptions(a) : null;
        if (a.has("report-only") && (a.has("jobs") || a.has("force"))) {
            throw new CliException("reproduce: --report-only runs nothing; drop --jobs and --force");
        }
        // Every value is checked by now: --list (what ./reproduce.sh runs before downloading anything) stops here.
        if (a.has("list")) {
            for (Experiment e : Experiments.all()) out.printf("  %-20s %s%n", e.name(), e.description());
            return 0;
        }
        if (!a.has("report-only")) Reproduction.requireDependencies(settings);
        if (slurm) {
            if (profile == Profile.PAPER) Reproduction.paperProfileFits(out);   // the estimates, for the record
            return SlurmExecutor.run(settings, slurmOptions, out);
        }
        if (a.has("report-only")) return Reproduction.report(settings, true, out);
        if (profile == Profile.PAPER && !Reproduction.paperProfileFits(out) && !a.has("force")) {
            throw new CliException("reproduce: the paper profile does not fit this machine (estimates above); "
                    + "run it on a GPU cluster (--executor slurm, docs/slurm.md), or add --force to start anyway");
        }
        return Reproduction.run(settings, out);
    }

    private static SlurmExecutor.Options slurmOptions(Args a) {
        String time = a.get("slurm-time"), mem = a.get("slurm-mem");
        if (time != null && !time.matches("\\d+|\\d+:\\d{2}(:\\d{2})?|\\d+-\\d{1,2}(:\\d{2}(:\\d{2})?)?")) {
            throw new CliException("reproduce: --slurm-time '" + time + "': expected minutes, MM:SS, HH:MM:SS or D-HH[:MM[:SS]] (Slurm's --time)");
        }
        if (mem != null && !mem.matches("\\d+[KMGT]?")) {
            throw new CliException("reproduce: --slurm-mem '" + mem + "': expected a size such as 4096M or 16G (Slurm's --mem)");
        }
        String extra = a.get("slurm-extra");
        if (extra != null && (extra.contains("\n") || extra.contains("--array") || extra.contains("--dependency"))) {
            throw new CliException("reproduce: --slurm-extra: one line of sbatch options, without --array or --dependency "
                    + "(the executor sets those)");
        }
        return new SlurmExecutor.Options(a.get("slurm-partition"), time, mem,
                a.has("slurm-gpus") ? nonNegative(a, "slurm-gpus") : null, a.positiveInt("slurm-cpus", DEFAULT_SLURM_CPUS),
                extra, a.has("slurm-limit") ? a.positiveInt("slurm-limit", 1) : null, a.has("dry-run"), a.has("slurm-wait"));
    }

    private static int nonNegative(Args a, String flag) {
        try {
            int x = Integer.parseInt(a.get(flag));
            if (x >= 0) return x;
        } catch (NumberFormatException e) {
            // below
        }
        throw new CliException("reproduce: --" + flag + " must be a whole number >= 0, got '" + a.get(flag) + "'");
    }

    private static List<Experiment> select(String only) {
        if (only == null) return Experiments.all();
        Set<String> names = new LinkedHashSet<>(List.of(only.split(",")));
        List<Experiment> out = new ArrayList<>();
        for (String n : names) {
            out.add(Experiments.find(n.trim()).orElseThrow(() -> new CliException("reproduce: unknown experiment '"
                    + n + "' in --only; experiments: " + String.join(", ", Experiments.names()))));
        }
        // In the suite's order, whatever the order given: dependencies (RunConfig.after) point to earlier ones.
        return Experiments.all().stream().filter(e -> out.stream().anyMatch(x -> x.name().equals(e.name()))).toList();
    }

    /** The command as typed: ./reproduce.sh and its arguments, each quoted for a POSIX shell where it needs it. */
    static String commandLine(String[] argv) {
        StringBuilder sb = new StringBuilder("./reproduce.sh");
        for (String a : argv) {
            sb.append(' ').append(a.matches("[A-Za-z0-9_./:=,@%+-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
        }
        return sb.toString();
    }
}
