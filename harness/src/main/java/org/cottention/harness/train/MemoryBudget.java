package org.cottention.harness.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.cottention.api.AttentionShape;
import org.cottention.harness.CliException;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The one check of an estimated memory need against what the machine has, made before anything is allocated: an
 * ND4J allocation the machine cannot back crashes the JVM (SIGSEGV) instead of failing politely. The estimates
 * come from the attentions ({@code Attention.workingBytes}) and the models ({@code stepBytes}); this class adds
 * the training run's parameters and optimiser state and compares the total with MemAvailable.
 */
public final class MemoryBudget {
    private MemoryBudget() {}

    /** The share of MemAvailable a run may plan to use: the JVM, its heap and the system need the rest. */
    public static final double USABLE = 0.8;

    /** {@code -Dcottention.memory.available=BYTES} stands in for MemAvailable (tests). */
    static final String OVERRIDE = "cottention.memory.available";

    /** MemAvailable from /proc/meminfo, in bytes; -1 where unknown. */
    public static long availableBytes() {
        String forced = System.getProperty(OVERRIDE);
        if (forced != null) return Long.parseLong(forced);
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.substring("MemAvailable:".length()).trim().split("\\s+")[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** Whether bytes fit in the usable share of what is available (true where that is unknown). */
    public static boolean fits(long bytes) {
        long available = availableBytes();
        return available < 0 || bytes <= USABLE * available;
    }

    /**
     * A training run: the parameters' values, gradients and weight mask, AdamW's two moments and its update's five
     * temporaries (10 values per parameter), one training step's workspace and one evaluation step's.
     */
    public static long training(long parameters, DataType dataType, long stepBytes, long evalStepBytes) {
        return AttentionShape.sum(AttentionShape.times(10, parameters, dataType.width()), stepBytes, evalStepBytes);
    }

    /**
     * Refuses, with one line naming what and the fix, an operation whose estimate does not fit:
     * "{command}: {what} needs about X GiB, Y GiB available; {fix}".
     */
    public static void require(String command, String what, long bytes, String fix) {
        long available = availableBytes();
        if (available < 0 || bytes <= USABLE * available) return;
        throw new CliException(String.format(Locale.ROOT, "%s: %s needs about %s, %s available (%.0f%% of it usable); %s",
                command, what, size(bytes), size(available), USABLE * 100, fix));
    }

    /** "3.2 GiB", "870 MiB", or "more than 8 EiB" for an estimate that overflowed. */
    public static String size(long bytes) {
        if (bytes == Long.MAX_VALUE) return "more than 8 EiB";
        double gib = bytes / (1024.0 * 1024 * 1024);
        if (gib >= 1024 * 1024) return String.format(Locale.ROOT, "%.3g PiB", gib / (1024 * 1024));
        if (gib >= 1) return String.format(Locale.ROOT, "%.1f GiB", gib);
        return String.format(Locale.ROOT, "%.0f MiB", bytes / (1024.0 * 1024));
    }
}
