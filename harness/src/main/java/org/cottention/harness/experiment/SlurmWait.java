package org.cottention.harness.experiment;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code --slurm-wait}: after submitting, waits for the jobs as docs/slurm.md says to: until squeue no longer
 * lists them, then until sacct has a final state for every task and the report (the accounting database lags
 * the controller by seconds). Prints squeue now and then and sacct at the end; exit 0 when every task and the
 * report COMPLETED, else 1 with the failed tasks and how to resubmit each alone.
 */
final class SlurmWait {
    private SlurmWait() {}

    static final Set<String> FINAL = Set.of("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL",
            "BOOT_FAIL", "DEADLINE", "PREEMPTED");

    static int await(List<SlurmExecutor.Array> arrays, Map<String, String> ids, Path slurmDir, SlurmExecutor.Options o,
                     PrintStream out) throws Exception {
        String all = String.join(",", ids.values());
        long minutes = arrays.stream().mapToLong(a -> a.resources().minutes()).sum() + SlurmExecutor.REPORT.minutes() + 10;
        long deadline = System.nanoTime() + minutes * 60_000_000_000L;
        out.println("reproduce: waiting for jobs " + all + " (at most " + minutes + " minutes; stopping the wait does not "
                + "cancel them: scancel " + all.replace(",", " ") + ")");
        Thread.sleep(1000);
        out.print(SlurmExecutor.command("squeue", "-j", all));
        long lastShown = System.nanoTime();
        while (true) {
            String queued = SlurmExecutor.command("squeue", "-h", "-j", all, "-o", "%i");
            if (queued.isBlank() || queued.contains("Invalid job id")) break;   // forgotten by the controller: done too
            if (System.nanoTime() > deadline) {
                out.println("reproduce: gave up waiting after " + minutes + " minutes; the jobs go on (squeue -j " + all + ")");
                return 1;
            }
            if (System.nanoTime() - lastShown > 20_000_000_000L) {
                out.print(SlurmExecutor.command("squeue", "-j", all));
                lastShown = System.nanoTime();
            }
            Thread.sleep(1500);
        }
        Map<String, String> states = Map.of();
        long sacctDeadline = System.nanoTime() + 180_000_000_000L;
        List<String> pending;
        do {
            states = states(SlurmExecutor.command("sacct", "-n", "-X", "-P", "-j", all, "-o", "JobID,State,ExitCode"));
            pending = new ArrayList<>();
            for (String want : expected(arrays, ids)) if (state(states, want) == null) pending.add(want);
            if (pending.isEmpty()) break;
            Thread.sleep(500);
        } while (System.nanoTime() < sacctDeadline);
        out.print(SlurmExecutor.command("sacct", "-X", "-j", all, "-o", "JobID%16,JobName%36,State,ExitCode,Elapsed"));
        if (!pending.isEmpty()) {
            out.println("reproduce: sacct has no final state for " + pending + " after 3 minutes; see squeue/sacct");
            return 1;
        }
        List<String> failed = new ArrayList<>();
        for (SlurmExecutor.Array a : arrays) {
            String id = ids.get(a.name());
            for (int i = 0; i < a.configs().size(); i++) {
                String st = state(states, id + "_" + i);
                if (!st.startsWith("COMPLETED")) {
                    failed.add("  " + id + "_" + i + " " + a.experiment().name() + "/" + a.configs().get(i).key() + ": " + st
                            + (st.startsWith("CANCELLED") ? "" : "; log " + slurmDir.resolve("logs").resolve(a.name() + "-"
                            + id + "_" + i + ".out") + "; resubmit alone: sbatch --array=" + i + " " + a.script(slurmDir)));
                }
            }
        }
        String report = state(states, ids.get("report"));
        if (failed.isEmpty() && report.startsWith("COMPLETED")) {
            out.println("reproduce: every task and the report job " + ids.get("report") + " COMPLETED");
            return 0;
        }
        out.println("reproduce: " + failed.size() + " task(s) did not complete; report job " + ids.get("report") + ": " + report);
        failed.forEach(out::println);
        out.println("reproduce: then the report: sbatch --dependency=afterok:NEWIDS " + slurmDir.resolve("report.sbatch")
                + ", or ./reproduce.sh --report-only with the same --profile, --only and --out");
        return 1;
    }

    /** Every row sacct must show in a final state: ID_i for each task of each array, and the report's ID. */
    static List<String> expected(List<SlurmExecutor.Array> arrays, Map<String, String> ids) {
        List<String> out = new ArrayList<>();
        for (SlurmExecutor.Array a : arrays) {
            for (int i = 0; i < a.configs().size(); i++) out.add(ids.get(a.name()) + "_" + i);
        }
        out.add(ids.get("report"));
        return out;
    }

    /** JobID -> "STATE EXITCODE" of the rows in a final state. */
    static Map<String, String> states(String sacct) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : sacct.split("\n")) {
            String[] f = line.trim().split("\\|");
            if (f.length < 3) continue;
            String state = f[1].split(" ")[0];
            if (FINAL.contains(state.replace("+", ""))) m.put(f[0], f[1] + " " + f[2]);
        }
        return m;
    }

    /**
     * The final state of a job or array task, or null. A row "ID_[2-5]" (tasks that never left the queue, e.g.
     * cancelled because an array they depend on failed) stands for each of its tasks.
     */
    static String state(Map<String, String> states, String jobId) {
        String s = states.get(jobId);
        if (s != null || !jobId.contains("_")) return s;
        String array = jobId.substring(0, jobId.indexOf('_'));
        int index = Integer.parseInt(jobId.substring(jobId.indexOf('_') + 1));
        for (Map.Entry<String, String> e : states.entrySet()) {
            if (!e.getKey().startsWith(array + "_[")) continue;
            for (String range : e.getKey().substring(array.length() + 2).replaceAll("[]].*|%.*", "").split(",")) {
                String[] lr = range.split("-");
                int lo = Integer.parseInt(lr[0]), hi = lr.length > 1 ? Integer.parseInt(lr[1]) : lo;
                if (index >= lo && index <= hi) return e.getValue();
            }
        }
        return null;
    }
}
