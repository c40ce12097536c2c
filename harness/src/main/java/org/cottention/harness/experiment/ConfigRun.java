package org.cottention.harness.experiment;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cottention.harness.CliException;
import org.cottention.harness.results.Provenance;
import org.cottention.kernels.KernelThreads;

/**
 * One configuration run in this JVM (what {@code experiment-run} does, locally or as a Slurm array task): skips
 * it when its shard is finished, says so when a damaged one is replaced, runs it and writes its shard.
 */
public final class ConfigRun {
    private ConfigRun() {}

    /** Returns the exit code (0: the shard is finished). */
    public static int run(Experiment e, RunConfig c, Profile profile, String backend, Path dir, int jobs, boolean force,
                          PrintStream out) throws Exception {
        String id = Experiments.id(e, c);
        Shards.State state = Shards.state(dir, e, c);
        if (state.finished() && !force) {
            out.println("experiment-run: " + id + " is already finished (" + Shards.csv(dir, e, c)
                    + " matches its completion marker); nothing to do (--force runs it again)");
            return 0;
        }
        if (state.started() && !state.finished()) {
            out.println("experiment-run: " + id + ": " + Shards.csv(dir, e, c) + ": " + state.why() + "; running it again");
        }
        for (String a : c.after()) {
            if (!Reproduction.finished(dir, profile, a)) {
                throw new CliException("experiment-run: " + id + " reads the output of " + a + ", which has not finished in "
                        + dir + "; run it first (./reproduce.sh --only " + a.substring(0, a.indexOf('/')) + "," + e.name() + ")");
            }
        }
        out.printf("experiment-run: %s, profile %s, %s thread(s), %d job(s) at once, executor %s, pid %d%n", id,
                profile.label(), Provenance.threads(), jobs, executor(), ProcessHandle.current().pid());
        List<Map<String, Object>> rows = e.run(c, profile, dir, out);
        Shards.write(dir, e, c, profile, backend, executor(), jobs, rows);
        out.println("experiment-run: " + id + ": " + rows.size() + " row(s) in " + Shards.csv(dir, e, c) + "; "
                + KernelThreads.libraryThreadsText());
        return 0;
    }

    /** local, or slurm:ARRAY_TASK when this runs as a Slurm array task (slurm:JOB for a plain job). */
    static String executor() {
        String array = System.getenv("SLURM_ARRAY_JOB_ID"), task = System.getenv("SLURM_ARRAY_TASK_ID");
        if (array != null && task != null) return "slurm:" + array + "_" + task;
        String job = System.getenv("SLURM_JOB_ID");
        return job != null ? "slurm:" + job : "local";
    }

    /**
     * Ends this JVM (exit status 3, without its shutdown hooks) as soon as process pid is gone: a runner killed
     * with kill -9 cannot stop its children, so each child watches its parent. Polls every 200 ms.
     */
    public static void exitWhenGone(long pid, PrintStream out) {
        Optional<ProcessHandle> parent = ProcessHandle.of(pid);
        Thread watchdog = new Thread(() -> {
            while (parent.map(ProcessHandle::isAlive).orElse(false)) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException ex) {
                    return;
                }
            }
            out.println("experiment-run: the runner (pid " + pid + ") is gone; stopping (its shard was not written)");
            out.flush();
            Runtime.getRuntime().halt(3);
        }, "parent-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }
}
