package org.cottention.harness.results;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.cottention.harness.io.RepositoryRoot;

/**
 * Where a figure came from: git commit (and whether the tree was dirty), time, CPU and GPU model, thread setting,
 * JDK and library versions. Every CSV row the suite writes carries these columns. Git runs in the repository
 * root ({@link RepositoryRoot}), so the commit is found whatever the working directory.
 */
public final class Provenance {
    private Provenance() {}

    public static final String ND4J_VERSION = "1.0.0-M2.1";

    private static Map<String, String> cached;

    /** Columns in a fixed order: commit, dirty, timestamp, cpu, gpu, threads, jdk, nd4j. */
    public static synchronized Map<String, String> columns() {
        if (cached == null) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("git_commit", git("rev-parse", "--short=12", "HEAD"));
            String status = git("status", "--porcelain", "--untracked-files=no");
            m.put("git_dirty", status.equals("unknown") ? "unknown" : Boolean.toString(!status.isEmpty()));
            m.put("timestamp", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
            m.put("cpu", cpuModel());
            m.put("gpu", "none");
            m.put("threads", threads());
            m.put("jdk", System.getProperty("java.vendor") + " " + System.getProperty("java.version"));
            m.put("nd4j", ND4J_VERSION);
            cached = m;
        }
        return new LinkedHashMap<>(cached);
    }

    /** The provenance columns' schema, for the results check: all of them describe the run, none its result. */
    public static List<Column> schema() {
        return List.of(Column.text("git_commit").always().varies(), Column.oneOf("git_dirty", "true", "false", "unknown")
                        .always().varies(), Column.text("timestamp").always().varies(), Column.text("cpu").always().varies(),
                Column.text("gpu").always().varies(), Column.integer("threads").positive().always().varies(),
                Column.text("jdk").always().varies(), Column.text("nd4j").always().varies());
    }

    /**
     * The threads this process runs with: the property cottention.threads, else OMP_NUM_THREADS (ND4J, OpenBLAS
     * and the suite's kernels read them, in this order: KernelThreads.configuredThreads), else the processor
     * count. The reproduction runner sets both in each child it starts, so a child reports its own share.
     */
    public static String threads() {
        String p = System.getProperty("cottention.threads");
        if (p == null) p = System.getenv("OMP_NUM_THREADS");
        return p != null && !p.isBlank() ? p.trim() : Integer.toString(Runtime.getRuntime().availableProcessors());
    }

    /**
     * The CPU model and core count, and the OpenBLAS kernels when OPENBLAS_CORETYPE chose them (the launcher sets
     * it where OpenBLAS 0.3.19 would fall back to its slowest ones: scripts/openblas-core.sh), e.g.
     * "Intel(R) Xeon(R) Processor x2, OpenBLAS SkylakeX".
     */
    static String cpuModel() {
        String core = System.getenv("OPENBLAS_CORETYPE");
        return cpuName() + " x" + Runtime.getRuntime().availableProcessors()
                + (core != null && !core.isBlank() ? ", OpenBLAS " + core.trim() : "");
    }

    private static String cpuName() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
            }
        } catch (IOException e) {
            // fall through
        }
        return System.getProperty("os.arch");
    }

    private static String git(String... args) {
        try {
            String[] cmd = new String[args.length + 1];
            cmd[0] = "git";
            System.arraycopy(args, 0, cmd, 1, args.length);
            Process p = new ProcessBuilder(cmd).directory(RepositoryRoot.get().toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) return "unknown";
            return out;
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}
