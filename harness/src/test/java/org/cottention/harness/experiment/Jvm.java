package org.cottention.harness.experiment;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cottention.harness.Main;

/** Test helper: the suite's command line in a JVM of its own (a real process, to kill), as the launcher runs it. */
final class Jvm {
    private Jvm() {}

    /** Starts {@code Main args} with this JVM's flags and class path in cwd; stdout and stderr go to output. */
    static Process start(Path cwd, Map<String, String> env, Path output, String... args) throws IOException {
        return start(cwd, env, List.of(), output, args);
    }

    /** As above, with extra JVM flags (e.g. -Dcottention.root=...). */
    static Process start(Path cwd, Map<String, String> env, List<String> flags, Path output, String... args)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-agentlib") && !a.startsWith("-javaagent")) cmd.add(a);
        }
        cmd.addAll(flags);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    /** Waits (up to 2 minutes, a safety net against a hang, not a timing assertion) until the condition holds. */
    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("gave up waiting for " + what);
            Thread.sleep(50);
        }
    }

    /** The file's text, or "" while it does not exist. */
    static String read(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** The pid an experiment-run log names in its first line ("... pid N"), or -1 before it is written. */
    static long childPid(Path log) {
        Matcher m = Pattern.compile("experiment-run: \\S+, .* pid (\\d+)").matcher(read(log));
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }
}
