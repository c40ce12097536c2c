package org.cottention.harness.experiment;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.cottention.harness.CliException;
import org.cottention.harness.io.AtomicFiles;
import org.cottention.harness.io.RepositoryRoot;
import org.cottention.harness.results.Provenance;

/**
 * {@code ./reproduce.sh --executor slurm}: the configurations as Slurm job arrays and the report as a job after
 * them, all through the same commands as a local run: array task i runs configuration i of its array with
 * {@code ./cottention experiment-run}, and the report job runs {@code ./cottention reproduce --report-only}. The
 * results folder is the only thing the jobs share; each task writes only its own shard (Shards).
 *
 * <p>Arrays: one per experiment and dependency wave (a configuration that reads another's output, RunConfig.after,
 * goes into a later array of its experiment, which starts afterok the arrays it reads from: BERT's fine-tuning
 * after its pretraining, the stabiliser after the cosine BERT and GPT runs). A Slurm array has one resource
 * request for all its tasks, so each array requests the largest estimate over its configurations ({@link
 * Resources}); grouping by experiment keeps a small configuration from paying for another experiment's large one.
 *
 * <p>Everything goes to DIR/.slurm/: one {@code array-EXPERIMENT-WAVE.sbatch} per array, {@code report.sbatch},
 * {@code submit.sh} (the sbatch calls, chained by job id; what this command runs, and what a user can run by
 * hand) and {@code logs/}. With --dry-run only the scripts are written.
 */
public final class SlurmExecutor {
    private SlurmExecutor() {}

    /** --slurm-* flags; null: from the estimates (time, mem, gpus), none (partition, extra), no limit. */
    public record Options(String partition, String time, String memory, Integer gpus, int cpus, String extra,
                          Integer limit, boolean dryRun, boolean await) {}

    /** One array: an experiment's configurations of one wave, and the resources each task requests. */
    record Array(String name, Experiment experiment, List<RunConfig> configs, Resources resources, List<String> after) {
        Path script(Path slurmDir) {
            return slurmDir.resolve(name + ".sbatch");
        }
    }

    /** The report job's request: merging and plotting, no training. */
    static final Resources REPORT = new Resources(2048, 30, 0, 0);

    /** The arrays of a submission, in submission order (each after the arrays it names). */
    static List<Array> plan(Reproduction.Settings s) {
        Map<String, Integer> wave = new LinkedHashMap<>();   // configuration id -> its wave
        Map<String, String> arrayOf = new LinkedHashMap<>(); // configuration id -> its array's name
        Map<String, Array> arrays = new LinkedHashMap<>();
        for (Experiment e : s.experiments()) {
            for (RunConfig c : e.configs(s.profile())) {
                int w = c.after().stream().filter(wave::containsKey).mapToInt(a -> wave.get(a) + 1).max().orElse(0);
                wave.put(Experiments.id(e, c), w);
            }
        }
        for (Experiment e : s.experiments()) {
            Map<Integer, List<RunConfig>> byWave = new java.util.TreeMap<>();
            for (RunConfig c : e.configs(s.profile())) {
                byWave.computeIfAbsent(wave.get(Experiments.id(e, c)), k -> new ArrayList<>()).add(c);
            }
            byWave.forEach((w, configs) -> {
                String name = "array-" + e.name() + "-" + w;
                Resources r = configs.stream().map(c -> e.resources(c, s.profile())).reduce(Resources::max).orElseThrow();
                List<String> after = configs.stream().flatMap(c -> c.after().stream()).filter(arrayOf::containsKey)
                        .map(arrayOf::get).distinct().toList();
                arrays.put(name, new Array(name, e, configs, r, after));
                for (RunConfig c : configs) arrayOf.put(Experiments.id(e, c), name);   // waves in ascending order
            });
        }
        return List.copyOf(arrays.values());
    }

    /** Writes the scripts, submits them unless dry-run (and waits with await); returns the exit code. */
    public static int run(Reproduction.Settings s, Options o, PrintStream out) throws Exception {
        Optional<Path> sbatch = onPath("sbatch");
        if (!o.dryRun() && sbatch.isEmpty()) {
            throw new CliException("reproduce: --executor slurm: sbatch is not on the PATH; run this on a Slurm login "
                    + "node (scripts/slurm-local.sh start for a local one), or add --dry-run to only write the scripts");
        }
        Path slurmDir = s.dir().resolve(".slurm");
        List<Array> arrays = plan(s);
        Files.createDirectories(slurmDir.resolve("logs"));
        for (Array a : arrays) AtomicFiles.writeString(a.script(slurmDir), arrayScript(s, o, a, slurmDir));
        AtomicFiles.writeString(slurmDir.resolve("report.sbatch"), reportScript(s, o, slurmDir));
        Path submit = slurmDir.resolve("submit.sh");
        AtomicFiles.writeString(submit, submitScript(arrays));
        Files.setPosixFilePermissions(submit, PosixFilePermissions.fromString("rwxr-xr-x"));
        int tasks = arrays.stream().mapToInt(a -> a.configs().size()).sum();
        out.printf("reproduce: profile %s as %d Slurm job array(s), %d tasks, and a report job after them; scripts in %s%n",
                s.profile().label(), arrays.size(), tasks, slurmDir);
        for (Array a : arrays) {
            out.printf("  %-32s %3d task(s), each %s, %s, %d CPU(s)%s%s%n", a.name(), a.configs().size(),
                    memory(o, a.resources()), time(o, a.resources()), o.cpus(),
                    gpus(o, a.resources()) > 0 ? ", " + gpus(o, a.resources()) + " GPU(s)" : "",
                    a.after().isEmpty() ? "" : ", after " + String.join(", ", a.after()));
        }
        if (o.dryRun()) {
            out.println("reproduce: --dry-run: nothing submitted; to submit: bash " + submit);
            return 0;
        }
        Process p = new ProcessBuilder("bash", submit.toString()).redirectErrorStream(true).start();
        String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        Map<String, String> ids = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^submitted (\\S+) (\\d+)$").matcher(printed);
        while (m.find()) ids.put(m.group(1), m.group(2));
        if (code != 0 || !ids.containsKey("report")) {
            out.print(printed);
            out.println("reproduce: submitting failed (" + submit + " exited with " + code + ")"
                    + (ids.isEmpty() ? "; nothing was submitted" : "; submitted before the failure: " + ids
                    + " (cancel them with scancel " + String.join(" ", ids.values()) + ")"));
            return 1;
        }
        String all = String.join(",", ids.values());
        out.println("reproduce: submitted:");
        ids.forEach((name, id) -> out.printf("  %-32s job %s%n", name, id));
        out.println("reproduce: follow them: squeue -j " + all + "   and after: sacct -X -j " + all
                + " -o JobID,JobName,State,ExitCode,Elapsed");
        out.println("reproduce: task logs in " + slurmDir.resolve("logs") + "; the report job " + ids.get("report")
                + " writes the tables, plots and README.md into " + s.dir() + " when every task has finished");
        if (!o.await()) return 0;
        return SlurmWait.await(arrays, ids, slurmDir, o, out);
    }

    static String memory(Options o, Resources r) {
        return o.memory() != null ? o.memory() : r.slurmMemory();
    }

    static String time(Options o, Resources r) {
        return o.time() != null ? o.time() : r.slurmTime();
    }

    static int gpus(Options o, Resources r) {
        return o.gpus() != null ? o.gpus() : r.gpus();
    }

    /** The #SBATCH lines every job shares: chdir, export, partition, extras. */
    private static String common(Options o) {
        StringBuilder sb = new StringBuilder();
        sb.append("#SBATCH --chdir=").append(RepositoryRoot.get()).append('\n');
        sb.append("#SBATCH --export=ALL\n");
        if (o.partition() != null) sb.append("#SBATCH --partition=").append(o.partition()).append('\n');
        if (o.extra() != null) for (String x : o.extra().trim().split("\\s+")) if (!x.isEmpty()) sb.append("#SBATCH ").append(x).append('\n');
        return sb.toString();
    }

    private static String header(Reproduction.Settings s, String what) {
        Map<String, String> prov = Provenance.columns();
        return "#!/usr/bin/env bash\n# " + what + "\n# Written by ./reproduce.sh --profile " + s.profile().label()
                + " --executor slurm at " + prov.get("timestamp") + " (commit " + prov.get("git_commit")
                + (prov.get("git_dirty").equals("true") ? ", dirty tree" : "") + ").\n";
    }

    static String arrayScript(Reproduction.Settings s, Options o, Array a, Path slurmDir) {
        int k = a.configs().size(), limit = o.limit() == null ? k : Math.min(o.limit(), k);
        Resources r = a.resources();
        StringBuilder sb = new StringBuilder(header(s, a.experiment().name() + ": " + k + " configuration(s); task i runs "
                + "configuration i of the list below with ./cottention experiment-run, as a local run does."));
        sb.append("# Each task requests the largest estimate over these configurations (Resources.java): ")
                .append(r.memoryMiB()).append(" MiB, ").append(r.minutes()).append(" minutes, ").append(r.gpus())
                .append(" GPUs")
                .append(o.memory() != null || o.time() != null || o.gpus() != null ? "; overridden by --slurm-* flags" : "")
                .append(".\n# A finished configuration is skipped by its task; rerun one alone: sbatch --array=I ")
                .append(a.script(slurmDir)).append('\n');
        sb.append("#SBATCH --job-name=cottention-").append(s.profile().label()).append('-').append(a.experiment().name()).append('\n');
        sb.append("#SBATCH --array=0-").append(k - 1).append('%').append(limit).append('\n');
        sb.append("#SBATCH --cpus-per-task=").append(o.cpus()).append('\n');
        sb.append("#SBATCH --mem=").append(memory(o, r)).append('\n');
        sb.append("#SBATCH --time=").append(time(o, r)).append('\n');
        if (gpus(o, r) > 0) sb.append("#SBATCH --gres=gpu:").append(gpus(o, r)).append('\n');
        sb.append("#SBATCH --output=").append(slurmDir.resolve("logs")).append('/').append(a.name()).append("-%A_%a.out\n");
        sb.append(common(o));
        sb.append("set -euo pipefail\n");
        sb.append("configs=(").append(a.configs().stream().map(RunConfig::key).collect(Collectors.joining(" "))).append(")\n");
        sb.append("# task/none does not pin threads: one thread per CPU the task was given.\n");
        sb.append("export OMP_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-").append(o.cpus()).append("}\"\n");
        sb.append("COTTENTION_NO_BUILD=1 exec ./cottention experiment-run --experiment ").append(a.experiment().name())
                .append(" --config \"${configs[$SLURM_ARRAY_TASK_ID]}\" --profile ").append(s.profile().label())
                .append(" --out ").append(s.dir()).append(" --backend ").append(s.backend()).append(" --jobs ").append(limit)
                .append('\n');
        return sb.toString();
    }

    static String reportScript(Reproduction.Settings s, Options o, Path slurmDir) {
        StringBuilder sb = new StringBuilder(header(s, "The report: merges the shards into the tables, plots and README.md, "
                + "as a local run ends; exits 1 naming the configurations without a finished shard."));
        sb.append("#SBATCH --job-name=cottention-").append(s.profile().label()).append("-report\n");
        sb.append("#SBATCH --cpus-per-task=1\n#SBATCH --mem=").append(REPORT.slurmMemory()).append('\n');
        sb.append("#SBATCH --time=").append(REPORT.slurmTime()).append('\n');
        sb.append("#SBATCH --output=").append(slurmDir.resolve("logs")).append("/report-%j.out\n");
        sb.append(common(o));
        sb.append("set -euo pipefail\nexport OMP_NUM_THREADS=1\n");
        sb.append("COTTENTION_NO_BUILD=1 exec ./cottention reproduce --report-only --profile ").append(s.profile().label())
                .append(" --out ").append(s.dir()).append(" --only ")
                .append(s.experiments().stream().map(Experiment::name).collect(Collectors.joining(","))).append('\n');
        return sb.toString();
    }

    static String submitScript(List<Array> arrays) {
        StringBuilder sb = new StringBuilder("""
                #!/usr/bin/env bash
                # Submits the arrays of this folder, each after the arrays it reads from (afterok), and the report job
                # after all of them. Prints one line per job: "submitted NAME JOBID". Written by ./reproduce.sh
                # --executor slurm, which runs it; to submit again by hand: bash submit.sh
                set -euo pipefail
                cd "$(dirname "${BASH_SOURCE[0]}")"
                submit() { local id; id="$(sbatch --parsable "$@")"; echo "${id%%;*}"; }
                """);
        List<String> vars = new ArrayList<>();
        for (Array a : arrays) {
            String v = var(a.name());
            String dep = a.after().isEmpty() ? "" : "--dependency=afterok:" + a.after().stream().map(x -> "$" + var(x))
                    .collect(Collectors.joining(":")) + " ";
            sb.append(v).append("=\"$(submit ").append(dep).append(a.name()).append(".sbatch)\"\n");
            sb.append("echo \"submitted ").append(a.name()).append(" $").append(v).append("\"\n");
            vars.add("$" + v);
        }
        sb.append("report=\"$(submit --dependency=afterok:").append(String.join(":", vars)).append(" report.sbatch)\"\n");
        sb.append("echo \"submitted report $report\"\n");
        return sb.toString();
    }

    private static String var(String arrayName) {
        return arrayName.replaceAll("[^A-Za-z0-9]", "_");
    }

    /** The first executable called name on the PATH. */
    static Optional<Path> onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) return Optional.empty();
        for (String d : path.split(java.io.File.pathSeparator)) {
            Path p = Path.of(d.isEmpty() ? "." : d).resolve(name);
            if (Files.isExecutable(p) && Files.isRegularFile(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    /** Runs a Slurm command and returns its output (exit status ignored: squeue fails for forgotten jobs). */
    static String command(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
        return text;
    }
}
