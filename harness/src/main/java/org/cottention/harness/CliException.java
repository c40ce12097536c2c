package org.cottention.harness;

/** A user error: printed as one line on stderr, and the process exits with {@link #exitCode()} (2). */
public final class CliException extends RuntimeException {
    public static final int USAGE = 2;

    public CliException(String message) {
        super(message);
    }

    public int exitCode() {
        return USAGE;
    }
}
