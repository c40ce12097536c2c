package org.cottention.harness.experiment;

import java.io.PrintStream;
import java.util.Locale;

/**
 * What the paper profile would need: each experiment's largest configuration by its own estimate ({@link
 * Resources}, the same figures the Slurm executor requests), against this machine's memory. Printed before it
 * starts; a machine that cannot hold it is refused unless --force. Attention-layer configurations that do not
 * fit are recorded as skipped when they run, so they do not count against the machine.
 */
final class PaperProfile {
    private PaperProfile() {}

    /** A run longer than this (a tenth of a year) does not count as fitting, whatever the memory. */
    static final long MAX_MINUTES = 365L * 24 * 60 / 10;

    /** Prints the estimates and returns whether this machine holds every experiment's largest configuration. */
    static boolean fits(PrintStream out) {
        double availableMiB = Memory.availableMiB();
        boolean fits = true;
        out.println("reproduce: the paper profile needs, by the estimates (Resources; this build's CPU code, one process "
                + "per configuration, float32; the paper used 8 x A100 80GB):");
        for (Experiment e : Experiments.all()) {
            Resources r = e.configs(Profile.PAPER).stream().map(c -> e.resources(c, Profile.PAPER)).reduce(Resources::max)
                    .orElseThrow();
            out.printf(Locale.ROOT, "  %-18s %3d configurations, the largest: memory ~%,.0f GiB, time ~%s%s%n", e.name(),
                    e.configs(Profile.PAPER).size(), r.memoryMiB() / 1024.0, duration(r.minutes()),
                    e.skipsWhatDoesNotFit() ? " (what does not fit is recorded as skipped)" : "");
            if (!e.skipsWhatDoesNotFit()) fits &= r.memoryMiB() < availableMiB && r.minutes() < MAX_MINUTES;
        }
        out.printf(Locale.ROOT, "  this machine: %.1f GiB available, no GPU in use%n", availableMiB / 1024);
        return fits;
    }

    static String duration(long minutes) {
        if (minutes < 120) return minutes + " minutes";
        if (minutes < 48 * 60) return String.format(Locale.ROOT, "%.1f hours", minutes / 60.0);
        if (minutes < 365L * 24 * 60) return String.format(Locale.ROOT, "%.0f days", minutes / (24 * 60.0));
        return String.format(Locale.ROOT, "%.0f years", minutes / (365.25 * 24 * 60));
    }
}
