package org.cottention.harness.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.cottention.harness.Options;
import org.cottention.harness.CliException;
import org.cottention.harness.experiment.Experiment;
import org.cottention.harness.experiment.Experiments;
import org.cottention.harness.experiment.Profile;
import org.cottention.harness.experiment.Reproduction;
import org.cottention.harness.experiment.SlurmExecutor;
import org.cottention.harness.io.RepositoryRoot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./cottention reproduce} (what ./reproduce.sh runs): every experiment configuration in a JVM of its
 * own, resuming where an earlier run stopped; then the merged CSV tables, the plots and results/PROFILE/README.md.
 */
@Command(name = "reproduce", description = "the experiments (what ./reproduce.sh runs): tables, plots, README",
        customSynopsis = {
            "./reproduce.sh [--profile smoke|default|long|paper] [--only EXPERIMENT,...] [--out DIR] [--jobs N]",
            "               [--force] [--report-only] [--list] [--backend cpu]",
            "               [--executor slurm [--slurm-partition P] [--slurm-time T] [--slurm-mem M] [--slurm-gpus N]",
            "                [--slurm-cpus N] [--slurm-extra '...'] [--slurm-limit L] [--dry-run] [--slurm-wait]]"},
        footerHeading = "%n",
        footer = "Runs the experiments, each configuration in its own JVM (so each peak-memory figure is its own), and"
                + " writes DIR/<experiment>.csv, the figures (PNG + SVG) and DIR/README.md (DIR defaults to"
                + " results/PROFILE in the repository). A rerun skips finished configurations and reruns damaged ones;"
                + " an interrupted run loses nothing already written. Profiles: smoke, toy sizes (minutes, for CI);"
                + " default, CPU scale (<= 90 min on 2 cores); long, a third seed and a larger model (<= 150 min);"
                + " paper, the paper's sizes, which prints its estimated memory and time and refuses to start where"
                + " they do not fit, unless --force. --executor slurm: one job array per experiment (and dependency"
                + " wave), task i = configuration i, each task requesting the largest estimate of its array, and a"
                + " report job after them (afterok); scripts go to DIR/.slurm/. See docs/slurm.md.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "2:bad input: one line on stderr naming it and the fix; nothing is run",
            "1:a configuration failed (its log is named), --report-only found one unfinished, or a bug",
            "143:stopped by SIGTERM (finished configurations kept)"})
public final class ReproduceCommand implements Callable<Integer> {
    /** CPUs (and threads) per Slurm task without --slurm-cpus: what the default profile was measured with. */
    static final int DEFAULT_SLURM_CPUS = 2;

    @Option(names = "--profile", paramLabel = "P", description = "smoke, default, long or paper (default: ${DEFAULT-VALUE})")
    String profileName = "default";
    @Option(names = "--only", paramLabel = "EXPERIMENT,...", description = "these experiments only (their inputs must "
            + "be finished); --list names them")
    String only;
    @Option(names = "--backend", paramLabel = "B", description = "cpu (the default; the CUDA kernels are validated by "
            + "scripts/gpu-check.sh)")
    String backend = "cpu";
    @Option(names = "--out", paramLabel = "DIR", description = "the results folder (default: results/PROFILE in the "
            + "repository)")
    Path out;
    @Option(names = "--jobs", paramLabel = "N", description = "N configurations at once, the threads (OMP_NUM_THREADS, "
            + "else the cores) split between them (default 2, at most the threads); rows record their threads and jobs")
    Integer jobs;
    @Option(names = "--force", description = "start the paper profile even where it does not fit")
    boolean force;
    @Option(names = "--report-only", description = "run nothing; merge the finished shards into the tables, figures "
            + "and README (a configuration without a finished shard: nothing is written, exit 1)")
    boolean reportOnly;
    @Option(names = "--list", description = "check every value, list the experiments, run nothing")
    boolean list;
    @Option(names = "--executor", paramLabel = "E", description = "local (default) or slurm")
    String executor = "local";
    @Option(names = "--slurm-partition", paramLabel = "P", description = "(slurm) the partition")
    String slurmPartition;
    @Option(names = "--slurm-time", paramLabel = "T", description = "(slurm) time per task, e.g. 1-00:00:00 (default: "
            + "the array's largest estimate)")
    String slurmTime;
    @Option(names = "--slurm-mem", paramLabel = "M", description = "(slurm) memory per task, e.g. 16G (default: the "
            + "array's largest estimate)")
    String slurmMem;
    @Option(names = "--slurm-gpus", paramLabel = "N", description = "(slurm) GPUs per task")
    Integer slurmGpus;
    @Option(names = "--slurm-cpus", paramLabel = "N", description = "(slurm) CPUs and threads per task (default 2)")
    Integer slurmCpus;
    @Option(names = "--slurm-extra", paramLabel = "'...'", description = "(slurm) one line of further sbatch options")
    String slurmExtra;
    @Option(names = "--slurm-limit", paramLabel = "L", description = "(slurm) at most L tasks of an array at once")
    Integer slurmLimit;
    @Option(names = "--dry-run", description = "(slurm) write the scripts only")
    boolean dryRun;
    @Option(names = "--slurm-wait", description = "(slurm) wait for the jobs and print sacct (exit 1 if a task failed)")
    boolean slurmWait;

    @Spec
    CommandSpec spec;

    private final PrintStream printed;

    public ReproduceCommand(PrintStream out) {
        this.printed = out;
    }

    @Override
    public Integer call() throws Exception {
        PrintStream out = printed;
        Profile profile;
        try {
            profile = Profile.parse(profileName);
        } catch (IllegalArgumentException e) {
            throw new CliException("reproduce: " + e.getMessage());
        }
        if (!backend.equals("cpu") && !backend.equals("cuda")) {
            throw new CliException("reproduce: --backend must be cpu or cuda, got '" + backend + "'");
        }
        if (backend.equals("cuda")) {
            throw new CliException("reproduce: --backend cuda: this build runs the experiments on the CPU only "
                    + "(the CUDA kernels are validated by scripts/gpu-check.sh); use --backend cpu");
        }
        List<Experiment> selected = select(only);
        Path dir = out(profile);
        int n = Options.positive("--jobs", jobs, Reproduction.defaultJobs(Reproduction.machineThreads()));
        Reproduction.Settings settings = new Reproduction.Settings(profile, selected, backend, dir, n,
                Reproduction.machineThreads(), commandLine(spec.commandLine().getParseResult().originalArgs()));
        if (!executor.equals("local") && !executor.equals("slurm")) {
            throw new CliException("reproduce: --executor must be local or slurm, got '" + executor + "'");
        }
        boolean slurm = executor.equals("slurm");
        Object[][] slurmOnly = {{"--slurm-partition", slurmPartition}, {"--slurm-time", slurmTime}, {"--slurm-mem", slurmMem},
            {"--slurm-gpus", slurmGpus}, {"--slurm-cpus", slurmCpus}, {"--slurm-extra", slurmExtra},
            {"--slurm-limit", slurmLimit}, {"--dry-run", dryRun ? true : null}, {"--slurm-wait", slurmWait ? true : null}};
        for (Object[] f : slurmOnly) {
            if (f[1] != null && !slurm) throw new CliException("reproduce: " + f[0] + " needs --executor slurm");
        }
        if (slurm && (jobs != null || reportOnly)) {
            throw new CliException("reproduce: --executor slurm: " + (jobs != null ? "--jobs is local; use --slurm-limit"
                    : "--report-only runs here; drop --executor slurm"));
        }
        SlurmExecutor.Options slurmOptions = slurm ? slurmOptions() : null;
        if (reportOnly && (jobs != null || force)) {
            throw new CliException("reproduce: --report-only runs nothing; drop --jobs and --force");
        }
        // Every value is checked by now: --list (what ./reproduce.sh runs before downloading anything) stops here.
        if (list) {
            for (Experiment e : Experiments.all()) out.printf("  %-20s %s%n", e.name(), e.description());
            return 0;
        }
        if (!reportOnly) Reproduction.requireDependencies(settings);
        if (slurm) {
            if (profile == Profile.PAPER) Reproduction.paperProfileFits(out);   // the estimates, for the record
            return SlurmExecutor.run(settings, slurmOptions, out);
        }
        if (reportOnly) return Reproduction.report(settings, true, out);
        if (profile == Profile.PAPER && !Reproduction.paperProfileFits(out) && !force) {
            throw new CliException("reproduce: the paper profile does not fit this machine (estimates above); "
                    + "run it on a GPU cluster (--executor slurm, docs/slurm.md), or add --force to start anyway");
        }
        return Reproduction.run(settings, out);
    }

    private Path out(Profile profile) {
        return out != null ? out.toAbsolutePath() : RepositoryRoot.get().resolve("results").resolve(profile.label());
    }

    private SlurmExecutor.Options slurmOptions() {
        if (slurmTime != null && !slurmTime.matches("\\d+|\\d+:\\d{2}(:\\d{2})?|\\d+-\\d{1,2}(:\\d{2}(:\\d{2})?)?")) {
            throw new CliException("reproduce: --slurm-time '" + slurmTime + "': expected minutes, MM:SS, HH:MM:SS or "
                    + "D-HH[:MM[:SS]] (Slurm's --time)");
        }
        if (slurmMem != null && !slurmMem.matches("\\d+[KMGT]?")) {
            throw new CliException("reproduce: --slurm-mem '" + slurmMem + "': expected a size such as 4096M or 16G (Slurm's --mem)");
        }
        if (slurmExtra != null && (slurmExtra.contains("\n") || slurmExtra.contains("--array") || slurmExtra.contains("--dependency"))) {
            throw new CliException("reproduce: --slurm-extra: one line of sbatch options, without --array or --dependency "
                    + "(the executor sets those)");
        }
        if (slurmGpus != null) Options.nonNegative("--slurm-gpus", slurmGpus);
        return new SlurmExecutor.Options(slurmPartition, slurmTime, slurmMem, slurmGpus,
                Options.positive("--slurm-cpus", slurmCpus, DEFAULT_SLURM_CPUS), slurmExtra,
                slurmLimit == null ? null : Options.positive("--slurm-limit", slurmLimit, 1), dryRun, slurmWait);
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
    static String commandLine(List<String> argv) {
        StringBuilder sb = new StringBuilder("./reproduce.sh");
        for (String a : argv.subList(!argv.isEmpty() && argv.get(0).equals("reproduce") ? 1 : 0, argv.size())) {
            sb.append(' ').append(a.matches("[A-Za-z0-9_./:=,@%+-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
        }
        return sb.toString();
    }
}
