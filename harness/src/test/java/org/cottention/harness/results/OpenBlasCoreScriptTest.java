package org.cottention.harness.results;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.cottention.harness.data.DataRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/openblas-core.sh, which the launcher uses to keep OpenBLAS 0.3.19 off its slowest kernels on CPUs newer
 * than itself: the kernels it names per CPU (from /proc/cpuinfo-shaped files), and that --export leaves a value
 * the user set alone.
 */
class OpenBlasCoreScriptTest {
    private static final Path SCRIPT = DataRoot.repositoryRoot().orElseThrow().resolve("scripts/openblas-core.sh");

    /** The first processor block of /proc/cpuinfo as the machine of 2026-12-06 had it (flags shortened). */
    private static final String XEON_207 = """
            processor\t: 0
            vendor_id\t: GenuineIntel
            cpu family\t: 6
            model\t\t: 207
            model name\t: Intel(R) Xeon(R) Processor
            flags\t\t: fpu sse sse2 avx fma avx2 avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16 amx_tile

            processor\t: 1
            vendor_id\t: GenuineIntel
            """;

    private static String run(Path cpuinfo, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", SCRIPT.toString()));
        cmd.addAll(List.of(args));
        cmd.add(cpuinfo.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("OPENBLAS_CORETYPE");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "openblas-core.sh timed out");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    private static Path cpu(Path dir, String vendor, int family, String flags) throws Exception {
        return Files.writeString(dir.resolve(vendor + family + flags.hashCode()), "vendor_id\t: " + vendor
                + "\ncpu family\t: " + family + "\nflags\t\t: " + flags + "\n\nvendor_id\t: other\n");
    }

    @Test
    void namesTheKernelsPerCpu(@TempDir Path tmp) throws Exception {
        assertEquals("SkylakeX", run(Files.writeString(tmp.resolve("xeon"), XEON_207), Map.of()));
        assertEquals("Haswell", run(cpu(tmp, "GenuineIntel", 6, "fpu avx fma avx2"), Map.of()));
        assertEquals("", run(cpu(tmp, "GenuineIntel", 6, "fpu sse3"), Map.of()), "no AVX2: OpenBLAS decides");
        assertEquals("", run(cpu(tmp, "AuthenticAMD", 25, "fpu avx2 fma avx512f avx512bw avx512vl avx512dq avx512cd"),
                Map.of()), "Zen 4 (family 0x19): OpenBLAS 0.3.19 knows it");
        assertEquals("Zen", run(cpu(tmp, "AuthenticAMD", 26, "fpu avx2 fma"), Map.of()));
        assertEquals("", run(tmp.resolve("missing"), Map.of()), "no cpuinfo: nothing");
    }

    @Test
    void exportLeavesAValueTheUserSetAlone(@TempDir Path tmp) throws Exception {
        Path xeon = Files.writeString(tmp.resolve("xeon"), XEON_207);
        assertEquals("export OPENBLAS_CORETYPE=SkylakeX", run(xeon, Map.of(), "--export"));
        assertEquals("", run(xeon, Map.of("OPENBLAS_CORETYPE", "Haswell"), "--export"));
        assertEquals("", run(xeon, Map.of("OPENBLAS_CORETYPE", ""), "--export"));
    }
}
