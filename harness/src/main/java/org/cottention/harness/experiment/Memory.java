package org.cottention.harness.experiment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Process memory as Linux reports it: VmHWM (peak RSS), VmRSS and MemAvailable, in MiB (-1 where unknown). */
public final class Memory {
    private Memory() {}

    public static double peakRssMiB() {
        return field(Path.of("/proc/self/status"), "VmHWM:");
    }

    public static double rssMiB() {
        return field(Path.of("/proc/self/status"), "VmRSS:");
    }

    public static double availableMiB() {
        return field(Path.of("/proc/meminfo"), "MemAvailable:");
    }

    private static double field(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(key)) return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]) / 1024.0;
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
