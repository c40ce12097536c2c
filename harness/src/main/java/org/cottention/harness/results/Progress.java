package org.cottention.harness.results;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress of a long run (training steps, reproduce's configurations, bench's grid), the one reporter every long
 * command uses. On a terminal ({@code System.console() != null} and printing to System.out) a bar redrawn in place
 * with the estimated time left, and permanent lines printed above it; otherwise (CI, a log file) plain lines only.
 * The time per item is an exponential moving average (bias-corrected, as Adam's moments are), so one slow item
 * (a JIT warm-up, an evaluation, a busy neighbour) moves the estimate without dominating it. Items of very
 * different sizes (reproduce's configurations: a timing run of seconds beside a training run of twenty minutes)
 * are {@link #weighted}: the time left is then the elapsed time per unit of work done times the work left.
 */
public final class Progress {
    /** Items the moving average spans by default: alpha = 2 / (window + 1). */
    public static final int WINDOW = 20;

    private final String label;
    private final long total;
    private final PrintStream out;
    private final boolean terminal;
    private final LongSupplier clock;
    private final long start;
    private long done, lastAt;
    private final Average perItem;
    private String status = "";
    private double totalWork = Double.NaN, doneWork;
    private boolean barShown;

    public Progress(String label, long total, PrintStream out) {
        this(label, total, out, System.console() != null && out == System.out, System::nanoTime, WINDOW);
    }

    /** @param window items the moving average spans; clock in nanoseconds (tests pass their own) */
    public Progress(String label, long total, PrintStream out, boolean terminal, LongSupplier clock, int window) {
        this.label = label;
        this.total = total;
        this.out = out;
        this.terminal = terminal;
        this.clock = clock;
        this.perItem = new Average(window);
        this.start = clock.getAsLong();
        this.lastAt = start;
    }

    /**
     * Weighs the items: totalWork is the sum of their weights (e.g. estimated seconds), and each item finishes
     * through {@link #finished(double)} with its own. Returns this reporter.
     */
    public Progress weighted(double totalWork) {
        if (!(totalWork > 0)) throw new IllegalArgumentException("total work must be > 0, got " + totalWork);
        this.totalWork = totalWork;
        return this;
    }

    public boolean terminal() {
        return terminal;
    }

    /**
     * Marks items finished up to {@code doneNow} (a count since this reporter started, resumed items excluded),
     * the time since the last call spread over them, and sets the status shown on the bar.
     */
    public void advance(long doneNow, String status) {
        long now = clock.getAsLong();
        long items = doneNow - done;
        if (items > 0) {
            double seconds = (now - lastAt) / 1e9 / items;
            for (long i = 0; i < Math.min(items, 1000); i++) perItem.add(seconds);
            done = doneNow;
            lastAt = now;
        }
        this.status = status;
        if (terminal) drawBar();
    }

    /** A permanent line: above the bar on a terminal, a plain line otherwise. */
    public void line(String text) {
        if (terminal && barShown) out.print("\r\033[2K");
        out.println(text);
        if (terminal) drawBar();
        out.flush();
    }

    /** Smoothed seconds per item (NaN before the first). */
    public double secondsPerItem() {
        return perItem.value();
    }

    /** Estimated time to the last item (null before the first item finished). */
    public Duration left() {
        if (!Double.isNaN(totalWork)) {
            if (doneWork <= 0) return null;
            double seconds = elapsed().toNanos() / 1e9 * Math.max(0, totalWork - doneWork) / doneWork;
            return Duration.ofMillis(Math.round(seconds * 1000));
        }
        double per = secondsPerItem();
        if (Double.isNaN(per)) return null;
        return Duration.ofMillis(Math.round(per * 1000 * Math.max(0, total - done)));
    }

    public Duration elapsed() {
        return Duration.ofNanos(clock.getAsLong() - start);
    }

    /** " (elapsed 1m02s, about 3m10s left)", or "" before any item finished. */
    public String eta() {
        Duration left = left();
        return left == null ? "" : " (elapsed " + format(elapsed()) + ", about " + format(left) + " left)";
    }

    /** Ends the bar (a terminal gets a final line), printing {@code summary} as a permanent line if not null. */
    public void finish(String summary) {
        if (terminal && barShown) {
            out.print("\r\033[2K");
            barShown = false;
        }
        if (summary != null) out.println(summary);
        out.flush();
    }

    // reproduce's and bench's use: one line per item announced, the time counted from one to the next.

    /** Announces the item about to run (its 1-based index = items done + 1). */
    public void starting(String what) {
        String text = String.format("%s [%d/%d] %s%s", label, done + 1, total, what, eta());
        if (terminal) {
            this.status = what;
            drawBar();
        } else {
            out.println(text);
        }
        out.flush();
    }

    /** Marks one item of a {@link #weighted} reporter finished, with its weight. */
    public void finished(double work) {
        doneWork += work;
        finished();
    }

    /** Marks one item finished. */
    public void finished() {
        advance(done + 1, status);
        if (done == total) finish(terminal ? bar() + " " + label + " done in " + format(elapsed()) : null);
    }

    private void drawBar() {
        out.print("\r\033[2K" + bar() + " " + label + " " + done + "/" + total + (status.isEmpty() ? "" : " " + status)
                + eta());
        out.flush();
        barShown = true;
    }

    private String bar() {
        int width = 20, filled = total <= 0 ? width : (int) Math.min(width, width * done / total);
        return "[" + "#".repeat(filled) + "-".repeat(width - filled) + "]";
    }

    /**
     * An exponential moving average with alpha = 2 / (window + 1), bias-corrected (divided by 1 - (1 - alpha)^n,
     * as Adam's moments are) so that the first values are not pulled towards 0.
     */
    public static final class Average {
        private final double alpha;
        private double average, weight;

        public Average(int window) {
            this.alpha = 2.0 / (Math.max(1, window) + 1);
        }

        /** Adds x; returns the new average. */
        public double add(double x) {
            average = (1 - alpha) * average + alpha * x;
            weight = (1 - alpha) * weight + alpha;
            return value();
        }

        /** NaN before the first value. */
        public double value() {
            return weight == 0 ? Double.NaN : average / weight;
        }
    }

    /** "45s", "3m07s", "2h05m". */
    public static String format(Duration d) {
        long s = d.toSeconds();
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
                : s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
