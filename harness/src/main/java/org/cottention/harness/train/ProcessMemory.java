package org.cottention.harness.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident memory of this process from /proc/self/status: VmRSS (now) and VmHWM (peak); -1 where unavailable. */
public final class ProcessMemory {
    private ProcessMemory() {}

    /** Current resident set, bytes. */
    public static long rssBytes() {
        return field("VmRSS:");
    }

    /** Peak resident set since the process started, bytes. */
    public static long peakRssBytes() {
        return field("VmHWM:");
    }

    private static long field(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(name)) {
                    String[] parts = line.substring(name.length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024L;  // kB
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
