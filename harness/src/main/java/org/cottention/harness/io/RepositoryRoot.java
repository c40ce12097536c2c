package org.cottention.harness.io;

import java.nio.file.Path;

/**
 * The repository this suite runs from: the launcher passes it as {@code -Dcottention.root}; without it (tests, a
 * hand-made java command line) the working directory. Default output folders and provenance (git) resolve
 * against it, so a command gives the same answer from any working directory.
 */
public final class RepositoryRoot {
    private RepositoryRoot() {}

    public static final String PROPERTY = "cottention.root";

    public static Path get() {
        return Path.of(System.getProperty(PROPERTY, ".")).toAbsolutePath().normalize();
    }
}
