package org.cottention.harness;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The checks on option values that picocli's types cannot express (ranges, required-unless), one wording for all
 * commands. Each throws a {@link CliException} naming the flag, what it must be and what it got; the command's name
 * is added by {@link Cli}.
 */
public final class Options {
    private Options() {}

    public static <T> T required(String flag, T value) {
        if (value == null) throw new CliException(flag + " is required");
        return value;
    }

    /** value, or fallback when the flag was not given; must be > 0. */
    public static int positive(String flag, Integer value, int fallback) {
        int x = value == null ? fallback : value;
        if (x <= 0) throw new CliException(flag + " must be a positive integer, got " + x);
        return x;
    }

    public static long positive(String flag, long value) {
        if (value <= 0) throw new CliException(flag + " must be a positive integer, got " + value);
        return value;
    }

    public static int nonNegative(String flag, int value) {
        if (value < 0) throw new CliException(flag + " must be a non-negative integer, got " + value);
        return value;
    }

    /** A finite number in [min, max] (closed). */
    public static double inRange(String flag, double value, double min, double max) {
        if (!(value >= min && value <= max)) {
            throw new CliException(flag + " must be in [" + text(min) + ", " + text(max) + "], got " + text(value));
        }
        return value;
    }

    /** A finite number in [min, max) (half-open, as a probability that must stay below 1). */
    public static double inHalfOpen(String flag, double value, double min, double max) {
        if (!(value >= min && value < max)) {
            throw new CliException(flag + " must be in [" + text(min) + ", " + text(max) + "), got " + text(value));
        }
        return value;
    }

    /** A finite number >= min. */
    public static double atLeast(String flag, double value, double min) {
        if (!(value >= min) || Double.isInfinite(value)) {
            throw new CliException(flag + " must be a finite number >= " + text(min) + ", got " + text(value));
        }
        return value;
    }

    /** A finite number > min. */
    public static double above(String flag, double value, double min) {
        if (!(value > min) || Double.isInfinite(value)) {
            throw new CliException(flag + " must be a finite number > " + text(min) + ", got " + text(value));
        }
        return value;
    }

    /** Two flags that exclude each other. */
    public static void exclusive(String a, boolean hasA, String b, boolean hasB, String why) {
        if (hasA && hasB) throw new CliException(a + " and " + b + " exclude each other" + (why.isEmpty() ? "" : "; " + why));
    }

    private static String text(double x) {
        return x == Math.rint(x) && Math.abs(x) < 1e15 ? Long.toString((long) x) : Double.toString(x);
    }

    /**
     * Checks, before any work, that files can be written in {@code dir}: creates it (and its parents) and a probe
     * file in it, then deletes the probe. Call it last among a command's checks, so that a run refused for another
     * reason leaves no new folder behind.
     */
    public static Path writableDirectory(String flag, Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new CliException(flag + " " + dir + ": is a file, not a folder; name a folder");
        }
        try {
            Files.createDirectories(dir);
            Files.delete(Files.createTempFile(dir, ".write-probe-", ".tmp"));
        } catch (FileAlreadyExistsException e) {
            throw new CliException(flag + " " + dir + ": " + e.getFile() + " is a file, not a folder; name another place");
        } catch (IOException | SecurityException e) {
            throw new CliException(flag + " " + dir + ": cannot write there (" + reason(e) + "); name another place");
        }
        return dir;
    }

    /**
     * Checks, without creating anything, that {@code dir} can be created or written: its nearest existing ancestor
     * must be a writable folder (and dir itself, if it exists, a folder).
     */
    public static Path canCreate(String flag, Path dir) {
        Path p = dir.toAbsolutePath().normalize();
        if (Files.exists(p) && !Files.isDirectory(p)) {
            throw new CliException(flag + " " + dir + ": is a file, not a folder; name a folder");
        }
        while (p != null && !Files.exists(p)) p = p.getParent();
        if (p == null || !Files.isDirectory(p)) {
            throw new CliException(flag + " " + dir + ": " + p + " is a file, not a folder; name another place");
        }
        if (!Files.isWritable(p)) throw new CliException(flag + " " + dir + ": cannot write in " + p + "; name another place");
        return dir;
    }

    /** {@link #writableDirectory} for a file's folder; the file itself must not be a folder and is not touched. */
    public static Path writableFile(String flag, Path file) {
        if (Files.isDirectory(file)) throw new CliException(flag + " " + file + ": is a folder; name a file");
        Path parent = file.toAbsolutePath().getParent();
        writableDirectory(flag, parent);
        if (Files.exists(file) && !Files.isWritable(file)) {
            throw new CliException(flag + " " + file + ": cannot write it (read-only); name another file");
        }
        return file;
    }

    private static String reason(Exception e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName().replace("Exception", "") + (m == null ? "" : ": " + m);
    }
}
