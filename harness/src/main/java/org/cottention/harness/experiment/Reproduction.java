package org.cottention.harness.experiment;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.cottention.harness.Main;
import org.cottention.harness.io.AtomicFiles;
import org.cottention.harness.results.Progress;
import org.cottention.harness.results.Provenance;

/**
 * Runs a reproduction on this machine: every configuration of the selected experiments in a JVM of its own (so
 * that each peak-memory figure is its own), up to {@code jobs} at once with the threads split between them,
 * each configuration after the ones it reads ({@link RunConfig#after}); a configuration whose shard is finished
 * is skipped, so a rerun resumes where an interrupted one stopped, and a damaged shard is run again. Then {@link
 * #report}: the merged CSV tables, the plots, claims.csv and DIR/README.md, published all at once.
 */
public final class Reproduction {
    private Reproduction() {}

    /**
     * Configurations run at once when --jobs is not given (at most the machine's threads): the one place to change
     * it. 2, measured on the 2-core AMD EPYC at the default profile's GPT-J sizes (2026-12-01, quiet machine, same
     * seeds and losses either way): L4 E128 s256 batch 16, one run with 2 threads 10,629 tokens/s against two runs
     * with 1 thread each 7,980 + 8,049 = 16,029 (1.51x); L2 E64 batch 4, 35,636 against 21,613 + 23,019 (1.25x);
     * the smoke profile 1.4x (docs/slurm.md, "Parallel local runs"). The timing experiments run alone under any
     * --jobs, so only the training rows' tokens/s columns are measured beside another run (their rows say jobs 2).
     */
    public static final int DEFAULT_JOBS = 2;

    /** --jobs when not given: {@link #DEFAULT_JOBS}, at most the threads this machine gives the experiments. */
    public static int defaultJobs(int machineThreads) {
        return Math.max(1, Math.min(DEFAULT_JOBS, machineThreads));
    }

    /** What to run and where. threads: this machine's setting, split between the jobs. */
    /** command: the command line as the user typed it, for the report's header. */
    public record Settings(Profile profile, List<Experiment> experiments, String backend, Path dir, int jobs, int threads,
                           String command) {
        /** These settings with one job at a time (a configuration that runs alone gets every thread). */
        public Settings alone() {
            return new Settings(profile, experiments, backend, dir, 1, threads, command);
        }

        /** Threads of each child: floor(threads / jobs), at least 1. */
        public int childThreads() {
            return Math.max(1, threads / jobs);
        }
    }

    /** Prints the paper profile's estimated memory and compute and returns whether this machine holds it. */
    public static boolean paperProfileFits(PrintStream out) {
        return PaperProfile.fits(out);
    }

    /** The threads this process would use (the property cottention.threads, OMP_NUM_THREADS, else the cores). */
    public static int machineThreads() {
        try {
            return Math.max(1, Integer.parseInt(Provenance.threads()));
        } catch (NumberFormatException e) {
            return Runtime.getRuntime().availableProcessors();
        }
    }

    /**
     * A configuration that reads another's output ({@link RunConfig#after}) needs that one selected too, or
     * finished in DIR: else one line naming it and the fix, before anything runs or is submitted.
     */
    public static void requireDependencies(Settings s) {
        Set<String> selected = new HashSet<>();
        for (Experiment e : s.experiments()) for (RunConfig c : e.configs(s.profile())) selected.add(Experiments.id(e, c));
        for (Experiment e : s.experiments()) {
            for (RunConfig c : e.configs(s.profile())) {
                for (String a : c.after()) {
                    if (!selected.contains(a) && !finished(s.dir(), s.profile(), a)) {
                        throw new org.cottention.harness.CliException("reproduce: " + Experiments.id(e, c) + " reads the output of "
                                + a + ", which is not selected and has not finished in " + s.dir() + "; add "
                                + a.substring(0, a.indexOf('/')) + " to --only (or run it first)");
                    }
                }
            }
        }
    }

    /** Whether the configuration "experiment/key" has a finished shard in dir. */
    static boolean finished(Path dir, Profile profile, String id) {
        String name = id.substring(0, id.indexOf('/')), key = id.substring(id.indexOf('/') + 1);
        return Experiments.find(name).flatMap(e -> e.configs(profile).stream().filter(c -> c.key().equals(key)).findFirst()
                .map(c -> Shards.state(dir, e, c).finished())).orElse(false);
    }

    /** One configuration of the plan. */
    private record Task(Experiment experiment, RunConfig config) {
        String id() {
            return Experiments.id(experiment, config);
        }
    }

    /** Returns the exit code: 0 when every configuration finished, 1 when some failed (rerun to retry them). */
    public static int run(Settings s, PrintStream out) throws Exception {
        Files.createDirectories(s.dir());
        out.printf("reproduce: profile %s, backend %s, %d job(s) at once, %d thread(s) each, writing to %s%n",
                s.profile().label(), s.backend(), s.jobs(), s.childThreads(), s.dir());
        List<Task> todo = new ArrayList<>();
        Set<String> planned = new HashSet<>();
        for (Experiment e : s.experiments()) {
            List<RunConfig> configs = e.configs(s.profile());
            int done = 0;
            for (RunConfig c : configs) {
                Shards.State state = Shards.state(s.dir(), e, c);
                if (state.finished()) {
                    done++;
                    continue;
                }
                if (state.started()) {
                    out.println("reproduce: " + Experiments.id(e, c) + ": " + Shards.csv(s.dir(), e, c) + ": " + state.why()
                            + "; running it again");
                }
                todo.add(new Task(e, c));
                planned.add(Experiments.id(e, c));
            }
            out.printf("reproduce: %s: %d configurations%s%n", e.name(), configs.size(),
                    done > 0 ? ", " + done + " already done (resuming)" : "");
        }
        List<String> failures = runAll(s, todo, planned, out);
        if (STOPPING.get()) return 143;
        int report = report(s, false, out);
        if (!failures.isEmpty()) {
            out.println("reproduce: " + failures.size() + " configuration(s) failed; rerun to retry them:");
            failures.forEach(f -> out.println("  " + f));
            return 1;
        }
        if (report == 0) out.println("reproduce: done; tables, plots and README.md in " + s.dir());
        return report;
    }

    /**
     * Runs the tasks, up to jobs at once, each when the configurations it reads have finished (a dependency
     * outside the plan is taken as there: the child says so if it is not). Returns the failures, one line each.
     */
    private static List<String> runAll(Settings s, List<Task> todo, Set<String> planned, PrintStream out) throws Exception {
        List<String> failures = new ArrayList<>();
        if (todo.isEmpty()) return failures;
        // Weighted by each configuration's estimated work: a count would read one training run as one timing run.
        Map<Task, Double> work = new HashMap<>();
        for (Task t : todo) work.put(t, t.experiment().resources(t.config(), s.profile()).workSeconds());
        Progress progress = new Progress("reproduce", todo.size(), out)
                .weighted(work.values().stream().mapToDouble(Double::doubleValue).sum());
        List<Task> waiting = new ArrayList<>(todo);
        Set<String> finished = new HashSet<>(), failed = new HashSet<>();
        ExecutorService pool = Executors.newFixedThreadPool(s.jobs(), r -> {
            Thread t = new Thread(r, "reproduce-child");
            t.setDaemon(true);
            return t;
        });
        CompletionService<Integer> done = new ExecutorCompletionService<>(pool);
        Map<Future<Integer>, Task> running = new LinkedHashMap<>();
        try {
            while (!waiting.isEmpty() || !running.isEmpty()) {
                for (var it = waiting.iterator(); it.hasNext() && running.size() < s.jobs() && !STOPPING.get(); ) {
                    if (running.values().stream().anyMatch(r -> r.experiment().runsAlone())) break;
                    Task t = it.next();
                    if (t.experiment().runsAlone() && !running.isEmpty()) break;   // it waits for the machine to itself
                    List<String> blockedBy = t.config().after().stream().filter(failed::contains).toList();
                    if (!blockedBy.isEmpty()) {
                        it.remove();
                        failed.add(t.id());
                        failures.add(t.id() + " (not run: it needs " + String.join(", ", blockedBy) + ", which failed)");
                        progress.finished(work.get(t));
                        continue;
                    }
                    if (t.config().after().stream().anyMatch(a -> planned.contains(a) && !finished.contains(a))) continue;
                    it.remove();
                    progress.starting(t.id());
                    Settings alone = t.experiment().runsAlone() ? s.alone() : s;
                    running.put(done.submit(() -> runChild(t.experiment(), t.config(), alone)), t);
                }
                if (running.isEmpty()) {   // cannot happen with dependencies on earlier configurations; say so if it does
                    waiting.forEach(t -> failures.add(t.id() + " (not run: waits for " + t.config().after() + ")"));
                    break;
                }
                Future<Integer> f = done.take();
                Task t = running.remove(f);
                int code = f.get();
                if (STOPPING.get()) return failures;
                if (code == 0) {
                    finished.add(t.id());
                } else {
                    failed.add(t.id());
                    Path log = Shards.log(s.dir(), t.experiment(), t.config());
                    failures.add(t.id() + " (exit " + code + "; log: " + log + ")");
                    out.println("reproduce: " + t.id() + " FAILED with exit code " + code + "; see " + log);
                }
                progress.finished(work.get(t));
            }
        } finally {
            pool.shutdownNow();
        }
        return failures;
    }

    /**
     * Merges the finished shards of the selected experiments into DIR/EXPERIMENT.csv, draws the plots and writes
     * claims.csv and README.md: all prepared in a staging folder inside DIR and then moved into place, so a
     * failure on the way leaves DIR as it was. Tables of experiments not selected stay as they are (the README
     * covers them too). strict: a selected configuration without a finished shard makes it write nothing and
     * return 1 (the report-only step, e.g. the Slurm report job); otherwise the tables hold what finished.
     */
    public static int report(Settings s, boolean strict, PrintStream out) throws Exception {
        Map<String, List<Map<String, String>>> merged = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        for (Experiment e : s.experiments()) {
            Shards.Merged m = Shards.merged(s.dir(), e, s.profile());
            merged.put(e.name(), m.rows());
            missing.addAll(m.missing());
        }
        if (!missing.isEmpty()) {
            out.println("reproduce: " + missing.size() + " configuration(s) have no finished shard in " + s.dir().resolve(".runs")
                    + (strict ? "; no table was written:" : "; the tables hold the others:"));
            missing.forEach(m -> out.println("  " + m));
            if (strict) {
                out.println("reproduce: run them (the same ./reproduce.sh command resumes), or resubmit their Slurm "
                        + "array tasks (docs/slurm.md), then run the report again");
                return 1;
            }
        }
        Files.createDirectories(s.dir());
        Path staging = Files.createTempDirectory(s.dir(), ".staging-");
        List<String> tables = new ArrayList<>();
        int plots;
        try {
            for (Experiment e : Experiments.all()) {
                List<Map<String, String>> rows = merged.get(e.name());
                Path published = s.dir().resolve(e.name() + ".csv");
                if (rows != null && !rows.isEmpty()) {
                    writeTable(staging.resolve(e.name() + ".csv"), rows);
                    e.report(s.profile(), s.dir(), staging, rows);
                    tables.add(e.name() + ".csv (" + rows.size() + " rows)");
                } else if (Files.isRegularFile(published)) {
                    Files.copy(published, staging.resolve(published.getFileName()));   // for the README; unchanged
                }
            }
            ReportWriter.write(staging, s.profile(), s.command());
            try (Stream<Path> files = Files.list(staging)) {
                List<Path> all = files.filter(Files::isRegularFile).sorted().toList();
                plots = (int) all.stream().filter(p -> p.toString().endsWith(".png")).count();
                for (Path f : all) {
                    Files.move(f, s.dir().resolve(f.getFileName()), StandardCopyOption.ATOMIC_MOVE,
                            StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (Exception e) {
            out.println("reproduce: writing the report failed (" + e + "); nothing was published: " + s.dir()
                    + " is as it was (the shards in .runs/ are kept)");
            return 1;
        } finally {
            AtomicFiles.deleteTree(staging);
        }
        out.println("reproduce: wrote " + (tables.isEmpty() ? "no table" : String.join(", ", tables)) + ", " + plots
                + " plots, claims.csv and README.md in " + s.dir());
        return 0;
    }

    private static void writeTable(Path file, List<Map<String, String>> rows) throws IOException {
        List<String> header = new ArrayList<>(rows.get(0).keySet());
        StringBuilder sb = new StringBuilder();
        try (var printer = new org.apache.commons.csv.CSVPrinter(sb, org.apache.commons.csv.CSVFormat.DEFAULT.builder()
                .setHeader(header.toArray(String[]::new)).get())) {
            for (Map<String, String> r : rows) {
                List<String> values = new ArrayList<>();
                for (String h : header) values.add(r.getOrDefault(h, ""));
                printer.printRecord(values);
            }
        }
        AtomicFiles.writeString(file, sb.toString());
    }

    // ---- child JVMs ------------------------------------------------------------------------------------------

    /** Children running now; a shutdown of this JVM (Ctrl-C, kill) stops them first. */
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
    private static final java.util.concurrent.atomic.AtomicBoolean STOPPING = new java.util.concurrent.atomic.AtomicBoolean();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Reproduction::stopChildren, "reproduce-stop"));
    }

    /**
     * On SIGTERM or Ctrl-C: no new child starts, the running ones get SIGTERM (then SIGKILL after 10 s), and one
     * line says what is kept. A kill -9 of this JVM cannot run this: each child then stops by itself when it sees
     * its parent gone (experiment-run --parent-pid).
     */
    private static void stopChildren() {
        List<Process> children;
        synchronized (LIVE) {
            STOPPING.set(true);
            children = List.copyOf(LIVE);
        }
        if (children.isEmpty()) return;
        children.forEach(Process::destroy);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (Process p : children) {
            try {
                if (!p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) p.destroyForcibly();
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }
        System.out.println("reproduce: stopped (" + children.size() + " configuration(s) interrupted); finished "
                + "configurations are kept, the same command resumes");
        System.out.flush();
    }

    /**
     * Runs one configuration in a fresh JVM with this JVM's flags and classpath and floor(threads / jobs) threads
     * (OMP_NUM_THREADS and -Dcottention.threads); its output goes to its log. Returns its exit code.
     */
    static int runChild(Experiment e, RunConfig c, Settings s) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!arg.startsWith("-agentlib") && !arg.startsWith("-javaagent") && !arg.startsWith("-Dcottention.threads=")) {
                cmd.add(arg);
            }
        }
        cmd.addAll(e.jvmArgs());
        cmd.add("-Dcottention.threads=" + s.childThreads());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of("experiment-run", "--experiment", e.name(), "--config", c.key(), "--profile",
                s.profile().label(), "--out", s.dir().toString(), "--backend", s.backend(), "--jobs",
                Integer.toString(s.jobs()), "--parent-pid", Long.toString(ProcessHandle.current().pid())));
        Path log = Shards.log(s.dir(), e, c);
        Files.createDirectories(log.getParent());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMP_NUM_THREADS", Integer.toString(s.childThreads()));
        Process p;
        synchronized (LIVE) {
            if (STOPPING.get()) return 143;
            p = pb.start();
            LIVE.add(p);
        }
        try {
            return p.waitFor();
        } finally {
            LIVE.remove(p);
        }
    }
}
