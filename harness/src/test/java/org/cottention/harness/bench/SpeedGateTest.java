package org.cottention.harness.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cottention.harness.CliException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gate's bookkeeping (the timing itself runs in .ci/run, not in unit tests). */
class SpeedGateTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void aSlowedRunIsComparedWithTheSameReferenceEntry() {
        List<SpeedGate.Config> plain = SpeedGate.configs(1), slowed = SpeedGate.configs(2);
        for (int i = 0; i < plain.size(); i++) {
            assertEquals(plain.get(i).key(), slowed.get(i).key());
            assertTrue(!plain.get(i).key().contains("repeat"), plain.get(i).key());
        }
        assertEquals(plain.size(), plain.stream().map(SpeedGate.Config::key).distinct().count(), "keys are unique");
    }

    @Test
    void eachVerdictAtItsThreshold() {
        SpeedGate.Timing ref = new SpeedGate.Timing(10, 1000);
        assertEquals("ok", SpeedGate.verdict(ref, new SpeedGate.Timing(15, 1000), 0.5), "exactly at the limit passes");
        assertEquals("ok", SpeedGate.verdict(ref, new SpeedGate.Timing(4, 1010), 0.5), "faster, within the allocation slack");
        assertEquals("SLOWER", SpeedGate.verdict(ref, new SpeedGate.Timing(15.01, 1000), 0.5));
        assertEquals("ALLOCATES MORE", SpeedGate.verdict(ref, new SpeedGate.Timing(10, 1011), 0.5));
        assertEquals("SLOWER, ALLOCATES MORE", SpeedGate.verdict(ref, new SpeedGate.Timing(21, 2000), 1.0));
        assertEquals("ok", SpeedGate.verdict(ref, new SpeedGate.Timing(19.9, 1000), SpeedGate.DECODE_THRESHOLD));
        // The training steps: a step run twice read 1.69x or more, identical code at most 1.54x (docs/bench.md).
        assertEquals("ok", SpeedGate.verdict(ref, new SpeedGate.Timing(15.4, -1), SpeedGate.TRAIN_THRESHOLD));
        assertEquals("ok", SpeedGate.verdict(ref, new SpeedGate.Timing(15.99, -1), SpeedGate.TRAIN_THRESHOLD));
        assertEquals("SLOWER", SpeedGate.verdict(ref, new SpeedGate.Timing(16.01, -1), SpeedGate.TRAIN_THRESHOLD));
        assertEquals("SLOWER", SpeedGate.verdict(ref, new SpeedGate.Timing(16.9, -1), SpeedGate.TRAIN_THRESHOLD));
        assertEquals("MISSING", SpeedGate.verdict(ref, null, 0.5));
        SpeedGate.Timing unmeasured = new SpeedGate.Timing(10, -1);
        assertEquals("ok", SpeedGate.verdict(unmeasured, new SpeedGate.Timing(11, -1), 0.5), "no allocation recorded");
        assertEquals("MISSING", SpeedGate.verdict(null, ref, 0.5));
    }

    @Test
    void theTrainingStepIsGatedForBothAttentions() {
        List<String> keys = SpeedGate.configs(1).stream().map(SpeedGate.Config::key).toList();
        assertTrue(keys.contains("TrainStepBenchmark.step attention=cosine model=gpt"), keys.toString());
        assertTrue(keys.contains("TrainStepBenchmark.step attention=softmax model=gpt"), keys.toString());
        assertTrue(keys.contains("TrainStepBenchmark.step attention=cosine model=bert"), keys.toString());
        for (SpeedGate.Config c : SpeedGate.configs(2)) {
            assertEquals("2", c.params().get("repeat"), "every gated configuration can be slowed: " + c.key());
        }
    }

    @Test
    void aMissingReferenceFileSaysHowToCreateIt(@TempDir Path dir) {
        CliException e = assertThrows(CliException.class, () -> ReferenceBuild.readCommitFile(dir.resolve("none")));
        assertTrue(e.getMessage().contains("--set-reference"), e.getMessage());
    }

    @Test
    void theReferenceFileNamesItsCommitAfterComments(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("ref");
        Files.writeString(f, "# why\n\n  0123abcd  trailing words\n");
        assertEquals("0123abcd", ReferenceBuild.readCommitFile(f));
        Files.writeString(f, "# only a comment\n");
        assertThrows(CliException.class, () -> ReferenceBuild.readCommitFile(f));
    }

    @Test
    void committedReferenceIsACommitOfThisRepository() throws Exception {
        Path file = ROOT.resolve(SpeedGate.DEFAULT_REFERENCE_FILE);
        assertTrue(Files.isRegularFile(file), file + " is committed: .ci/run gates against it");
        String commit = ReferenceBuild.readCommitFile(file);
        assertTrue(commit.matches("[0-9a-f]{40}"), "a full hash: " + commit);
        assumeTrue(git("rev-parse", "--git-dir"), "not a git checkout (" + ROOT + "): the reference commit cannot be "
                + "looked up; run this test in a clone");
        assumeTrue(git("cat-file", "-e", commit + "^{commit}"), "the gate reference " + commit + " is not in this "
                + "clone's history (a shallow clone?); 'git fetch --unshallow' brings it");
        assertEquals(commit, ReferenceBuild.resolve(ROOT, commit));
    }

    /** Whether git, run in the repository root with these arguments, succeeds. */
    private static boolean git(String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("git", "-C", ROOT.toString()));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;    // no git at all
        }
    }

    @Test
    void anUnknownCommitIsAUsageErrorNamingTheFix() throws Exception {
        assumeTrue(git("rev-parse", "--git-dir"), "not a git checkout (" + ROOT + "): nothing to look commits up in");
        CliException e = assertThrows(CliException.class, () -> ReferenceBuild.resolve(ROOT, "no-such-commit-xyz"));
        assertTrue(e.getMessage().contains("no-such-commit-xyz") && e.getMessage().contains("--set-reference"),
                e.getMessage());
    }

    @Test
    void readsTheMedianAndAllocationFromJmhCsv(@TempDir Path dir) throws IOException {
        Path csv = dir.resolve("r.csv");
        Files.writeString(csv, """
                "Benchmark","Mode","Threads","Samples","Score","Score Error (99.9%)","Unit","Param: kind"
                "o.c.DecodeBenchmark.step","sample",1,418,2.389641,0.305720,"ms/op",cosine
                "o.c.DecodeBenchmark.step:alloc.MiB.per.op","sample",1,2,0.5,NaN,"MiB",cosine
                "o.c.DecodeBenchmark.step:p0.00","sample",1,1,1.036288,NaN,"ms/op",cosine
                "o.c.DecodeBenchmark.step:p0.50","sample",1,1,1.705984,NaN,"ms/op",cosine
                """);
        SpeedGate.Timing t = SpeedGate.readJmhCsv(csv);
        assertEquals(1.705984, t.medianMs(), 1e-12);
        assertEquals(512 * 1024, t.allocBytes(), 1e-6);
    }
}
