package org.cottention.harness.results;

import java.io.PrintStream;
import java.time.Duration;

/**
 * Progress of a long run: on a terminal a bar with the estimated time left, redrawn in place; otherwise (CI,
 * a log file) one plain line per step. The estimate assumes the remaining steps take as long as the finished
 * ones did on average.
 */
public final class Progress {
    private final String label;
    private final int total;
    private final PrintStream out;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private int done;

    public Progress(String label, int total, PrintStream out) {
        this(label, total, out, System.console() != null && out == System.out);
    }

    Progress(String label, int total, PrintStream out, boolean terminal) {
        this.label = label;
        this.total = total;
        this.out = out;
        this.terminal = terminal;
    }

    /** Announces the step about to run (1-based index = steps done + 1). */
    public void starting(String what) {
        String line = String.format("%s [%d/%d] %s%s", label, done + 1, total, what, eta());
        if (terminal) out.print("\r\033[2K" + bar() + " " + line);
        else out.println(line);
        out.flush();
    }

    /** Marks one step finished. */
    public void finished() {
        done++;
        if (terminal && done == total) out.println("\r\033[2K" + bar() + " " + label + " done in " + format(elapsed()));
    }

    private String eta() {
        if (done == 0) return "";
        Duration left = elapsed().dividedBy(done).multipliedBy(total - done);
        return " (elapsed " + format(elapsed()) + ", about " + format(left) + " left)";
    }

    private String bar() {
        int width = 20, filled = total == 0 ? width : width * done / total;
        return "[" + "#".repeat(filled) + "-".repeat(width - filled) + "]";
    }

    private Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    static String format(Duration d) {
        long s = d.toSeconds();
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s / 60 % 60)
                : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
