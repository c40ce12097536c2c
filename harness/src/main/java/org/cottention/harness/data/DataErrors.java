package org.cottention.harness.data;

import java.nio.file.Path;
import org.cottention.harness.CliException;

/** The one-line errors for data files: they name the file, what is wrong and the fix. */
public final class DataErrors {
    private DataErrors() {}

    public static final String REINSTALL = "rerun scripts/setup-data.sh to reinstall it";

    /** "data: FILE is not WHAT (REASON); rerun scripts/setup-data.sh to reinstall it", on one line. */
    public static CliException corrupt(Path file, String what, Exception cause) {
        String reason = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        reason = reason.lines().findFirst().orElse("").strip();
        return new CliException("data: " + file + " is not " + what + " (" + reason + "); " + REINSTALL);
    }
}
