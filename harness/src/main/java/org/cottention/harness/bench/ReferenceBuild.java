package org.cottention.harness.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cottention.harness.CliException;
import org.cottention.harness.io.AtomicFiles;

/**
 * The speed gate's reference: a commit of this repository, exported with {@code git archive} into
 * target/gate-reference/COMMIT and built there with Maven (no tests, no nvcc), so that its benchmarks can run
 * next to the working tree's in the same gate run. A finished build is reused.
 */
final class ReferenceBuild {
    private ReferenceBuild() {}

    /** The repository root: the launcher passes it as -Dcottention.root; else the working directory. */
    static Path root() {
        return Path.of(System.getProperty("cottention.root", ".")).toAbsolutePath().normalize();
    }

    /** The commit named in the reference file: its first line that is not blank and not a # comment. */
    static String readCommitFile(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new CliException("bench: " + file + ": no gate reference there; name a commit with --reference COMMIT, "
                    + "or write one with ./cottention bench --gate --set-reference COMMIT");
        }
        for (String line : Files.readAllLines(file)) {
            String t = line.strip();
            if (!t.isEmpty() && !t.startsWith("#")) return t.split("\\s+")[0];
        }
        throw new CliException("bench: " + file + ": names no commit (expected a line with a commit hash)");
    }

    /** The full hash of commitish in the repository at root; a clear error when git does not know it. */
    static String resolve(Path root, String commitish) throws IOException, InterruptedException {
        Result r = exec(root, List.of("git", "rev-parse", "--verify", "--quiet", commitish + "^{commit}"), 30);
        if (r.code != 0 || r.output.isBlank()) {
            throw new CliException("bench: the gate reference '" + commitish + "' is not a commit of the repository at "
                    + root + " (a shallow clone? run 'git fetch --unshallow'; or pick another with --set-reference)");
        }
        return r.output.strip();
    }

    /** Builds the commit once (reusing an earlier build) and returns the class path its benchmarks run with. */
    static String classPath(Path root, String commit, PrintStream out) throws IOException, InterruptedException {
        Path dir = root.resolve("target/gate-reference").resolve(commit);
        Path done = dir.resolve(".built");
        if (!Files.isRegularFile(done)) {
            out.printf("gate: building the reference %s into %s (git archive, mvn -DskipTests package) ...%n",
                    commit.substring(0, 12), root.relativize(dir));
            long t0 = System.nanoTime();
            AtomicFiles.deleteTree(dir);
            Files.createDirectories(dir);
            Result export = exec(root, List.of("bash", "-c", "set -o pipefail; git archive --format=tar " + commit
                    + " | tar -x -C '" + dir + "'"), 120);
            if (export.code != 0) throw new IllegalStateException("gate: git archive of " + commit + " failed:\n" + export.tail());
            // The nvcc profile compiles the CUDA fatbins, which the CPU benchmarks do not use.
            Result build = exec(dir, List.of("mvn", "-B", "-q", "-Dstyle.color=never", "-DskipTests", "-P!nvcc",
                    "package", "-pl", "harness", "-am"), 900);
            if (build.code != 0) {
                throw new IllegalStateException("gate: building the reference " + commit + " in " + dir + " failed:\n"
                        + build.tail());
            }
            Files.writeString(done, commit + "\n");
            out.printf("gate: reference built in %.0f s%n", (System.nanoTime() - t0) / 1e9);
        }
        String deps = Files.readString(dir.resolve("harness/target/classpath.txt")).strip();
        return dir.resolve("harness/target/classes") + ":" + deps;
    }

    record Result(int code, String output) {
        /** The last lines of the output, for an error message. */
        String tail() {
            String[] lines = output.split("\n");
            return String.join("\n", List.of(lines).subList(Math.max(0, lines.length - 30), lines.length));
        }
    }

    /** Runs command in dir, stdout and stderr together; fails when it runs longer than timeoutS. */
    static Result exec(Path dir, List<String> command, long timeoutS) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(new ArrayList<>(command)).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[][] bytes = new byte[1][];
        Thread reader = new Thread(() -> {
            try {
                bytes[0] = p.getInputStream().readAllBytes();
            } catch (IOException e) {
                bytes[0] = ("(output unreadable: " + e + ")").getBytes(StandardCharsets.UTF_8);
            }
        });
        reader.start();
        if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("gate: " + String.join(" ", command) + " ran past " + timeoutS + " s");
        }
        reader.join();
        return new Result(p.exitValue(), new String(bytes[0], StandardCharsets.UTF_8));
    }
}
