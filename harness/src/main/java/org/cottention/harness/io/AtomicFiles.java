package org.cottention.harness.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes files so that a reader never sees half of one: each file is written to a temporary sibling and moved
 * into place with an atomic rename. A group of files is fully prepared in memory first, so a failure before
 * the first rename leaves the directory as it was.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    public static void write(Path file, byte[] content) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = temporary(dir, file.getFileName().toString());
        try {
            Files.write(tmp, content);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    public static void writeString(Path file, String content) throws IOException {
        write(file, content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * Writes every (name, content) into dir: all contents go to temporary files first, then each is renamed into
     * place, so a failure while writing (a full disk) leaves no new file in dir.
     */
    public static void writeAll(Path dir, Map<String, byte[]> files) throws IOException {
        Files.createDirectories(dir);
        Map<Path, Path> staged = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, byte[]> e : files.entrySet()) {
                Path tmp = temporary(dir, e.getKey());
                staged.put(tmp, dir.resolve(e.getKey()));
                Files.write(tmp, e.getValue());
            }
            for (Map.Entry<Path, Path> e : staged.entrySet()) {
                Files.move(e.getKey(), e.getValue(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            for (Path tmp : staged.keySet()) Files.deleteIfExists(tmp);
        }
    }

    /**
     * A hidden temporary file next to the target, readable by everyone as a normally created file would be
     * (createTempFile alone makes it 0600, and the rename keeps that).
     */
    private static Path temporary(Path dir, String name) throws IOException {
        Path tmp = Files.createTempFile(dir, "." + name, ".tmp");
        try {
            Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: keep the default
        }
        return tmp;
    }

    /** Deletes dir and everything under it (nothing when it does not exist). */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
