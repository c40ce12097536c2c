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
import org.cottention.harness.io.RepositoryRoot;

/**
 * {@code ./cottention reproduce} (what ./reproduce.sh runs): every experiment configuration in a JVM of its
 * own, resuming where an earlier run stopped; then the merged CSV tables, the plots and results/PROFILE/README.md.
 */
public final class ReproduceCommand {
    private ReproduceCommand() {}

    static final String USAGE = """
            usage: ./reproduce.sh [--profile smoke|default|paper] [--only EXPERIMENT,...] [--backend cpu|cuda]
                                  [--out DIR] [--jobs N] [--force] [--report-only] [--list]

              Runs the experiments, each configuration in its own JVM (so each peak-memory figure is its own),
              and writes DIR/<experiment>.csv, PNG plots and DIR/README.md (DIR defaults to results/PROFILE in
              the repository). A rerun skips finished configurations and reruns damaged ones; an interrupted run
              loses nothing already written.
              --profile smoke: toy sizes (minutes, for CI); default: CPU scale; paper: the paper's sizes, which
              prints its estimated memory and time and refuses to start where they do not fit, unless --force.
              --jobs N: N configurations at once, the threads (OMP_NUM_THREADS, else the cores) split between
              them (default %d); rows record their threads and jobs, timing columns compare only at equal jobs.
              --report-only: run nothing; merge the finished shards into the tables, plots and README; a
              configuration without a finished shard makes it write nothing and exit 1.
            """.formatted(Reproduction.DEFAULT_JOBS);

    public static int run(String[] argv, PrintStream out) throws Exception {
        Args a = Args.parse("reproduce", argv, Set.of("profile", "only", "backend", "out", "jobs"),
                Set.of("force", "list", "help", "report-only"));
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
        Path dir = a.has("out") ? Path.of(a.get("out")).toAbsolutePath()
                : RepositoryRoot.get().resolve("results").resolve(profile.label());
        int jobs = a.positiveInt("jobs", Reproduction.DEFAULT_JOBS);
        Reproduction.Settings settings = new Reproduction.Settings(profile, selected, backend, dir, jobs,
                Reproduction.machineThreads());
        if (a.has("report-only")) {
            if (a.has("jobs") || a.has("force")) throw new CliException("reproduce: --report-only runs nothing; drop --jobs and --force");
            return Reproduction.report(settings, true, out);
        }
        if (profile == Profile.PAPER && !Reproduction.paperProfileFits(out) && !a.has("force")) {
            throw new CliException("reproduce: the paper profile does not fit this machine (estimates above); "
                    + "run it on a GPU cluster (--executor slurm, docs/slurm.md), or add --force to start anyway");
        }
        return Reproduction.run(settings, out);
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
}
