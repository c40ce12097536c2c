package org.cottention.harness.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runner as processes: children die with their parent (kill -9 and SIGTERM) and a rerun after a kill -9
 * resumes to the same table as an uninterrupted run, two configurations run at once
 * into one folder, --jobs splits the threads and each row records its own, a damaged shard is run again with
 * one line saying so, and provenance and default folders come from the repository root whatever the working
 * directory. Each test starts real JVMs on the smoke profile's cheapest experiments (seconds each).
 */
class RunnerProcessTest {
    @TempDir
    Path tmp;

    static final Map<String, String> ONE_THREAD = Map.of("OMP_NUM_THREADS", "1");
    final Experiment decoding = new DecodingExperiment(), gpt = new GptExperiment();

    private Path out() {
        return tmp.resolve("out");
    }

    private Process reproduce(Map<String, String> env, String output, String... extra) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("reproduce", "--profile", "smoke", "--out", out().toString()));
        args.addAll(List.of(extra));
        return Jvm.start(tmp, env, tmp.resolve(output), args.toArray(String[]::new));
    }

    /** Returns once the runner's first gpt child is training (its log shows the step), with that child. */
    private ProcessHandle firstGptChild(Process runner, String step) throws Exception {
        Path log = Shards.log(out(), gpt, gpt.configs(Profile.SMOKE).get(0));
        Jvm.await("the first gpt configuration to train", () -> Jvm.read(log).contains(step) || !runner.isAlive());
        assertTrue(runner.isAlive(), Jvm.read(tmp.resolve("runner.txt")));
        return ProcessHandle.of(Jvm.childPid(log)).orElseThrow();
    }

    @Test
    void aKill9OfTheRunnerStopsItsChildAndARerunResumesToTheSameTable() throws Exception {
        Path whole = tmp.resolve("whole");
        Process uninterrupted = Jvm.start(tmp, ONE_THREAD, tmp.resolve("whole.txt"), "reproduce", "--profile", "smoke",
                "--only", "gpt", "--out", whole.toString());
        Process runner = reproduce(ONE_THREAD, "runner.txt", "--only", "gpt");
        ProcessHandle child = firstGptChild(runner, "step 6/20");   // past its first checkpoint (step 5)
        runner.destroyForcibly();   // SIGKILL: no shutdown hook runs in the runner
        runner.waitFor();
        child.onExit().get(2, TimeUnit.MINUTES);
        RunConfig c = gpt.configs(Profile.SMOKE).get(0);
        String log = Jvm.read(Shards.log(out(), gpt, c));
        assertTrue(log.contains("the runner (pid " + runner.pid() + ") is gone; stopping"), log);
        assertFalse(Files.exists(Shards.marker(out(), gpt, c)), "the child stopped before finishing: " + log);
        assertFalse(log.contains("step 20/20"), log);

        Process again = reproduce(ONE_THREAD, "again.txt", "--only", "gpt");
        assertEquals(0, again.waitFor(), Jvm.read(tmp.resolve("again.txt")));
        assertEquals(0, uninterrupted.waitFor(), Jvm.read(tmp.resolve("whole.txt")));
        assertTrue(Jvm.read(Shards.log(out(), gpt, c)).contains("resumed from"), Jvm.read(Shards.log(out(), gpt, c)));
        List<Map<String, String>> rows = Experiments.readCsv(out().resolve("gpt.csv"));
        assertEquals(List.of(), ResultsCheck.checkTable(out().resolve("gpt.csv"), gpt, rows));
        assertEquals(List.of(), ResultsCheck.compare(whole, out()), "same table as an uninterrupted run, timing aside");
    }

    @Test
    void sigtermStopsTheRunnerAndItsChildWithOneLineAndNoStackTrace() throws Exception {
        Process runner = reproduce(ONE_THREAD, "runner.txt", "--only", "gpt");
        ProcessHandle child = firstGptChild(runner, "step 2/20");
        runner.destroy();   // SIGTERM
        assertEquals(143, runner.waitFor());
        child.onExit().get(2, TimeUnit.MINUTES);
        String printed = Jvm.read(tmp.resolve("runner.txt"));
        assertTrue(printed.contains("reproduce: stopped (1 configuration(s) interrupted)"), printed);
        assertFalse(printed.contains("Exception") || printed.contains("Shutdown in progress") || printed.contains("\tat "), printed);
        assertFalse(printed.contains("FAILED"), printed);
        assertFalse(Files.exists(out().resolve("gpt.csv")), "no report after a stop");
    }

    @Test
    void twoConfigurationsAtOnceWriteTheirOwnShardsAndMerge() throws Exception {
        List<RunConfig> configs = decoding.configs(Profile.SMOKE);
        Process[] runs = new Process[2];
        for (int i = 0; i < 2; i++) {
            runs[i] = Jvm.start(tmp, ONE_THREAD, tmp.resolve("run" + i + ".txt"), "experiment-run", "--experiment",
                    "decoding", "--config", configs.get(i).key(), "--profile", "smoke", "--out", out().toString(), "--jobs", "2");
        }
        for (int i = 0; i < 2; i++) assertEquals(0, runs[i].waitFor(), Jvm.read(tmp.resolve("run" + i + ".txt")));
        for (RunConfig c : configs) assertTrue(Shards.state(out(), decoding, c).finished(), c.key());
        Process report = reproduce(Map.of(), "report.txt", "--only", "decoding", "--report-only");
        assertEquals(0, report.waitFor(), Jvm.read(tmp.resolve("report.txt")));
        List<Map<String, String>> rows = Experiments.readCsv(out().resolve("decoding.csv"));
        assertEquals(List.of(), ResultsCheck.checkTable(out().resolve("decoding.csv"), decoding, rows));
        assertEquals(8, rows.size());
    }

    @Test
    void jobsSplitTheThreadsAndADamagedShardRunsAgainWithOneLine() throws Exception {
        Process first = reproduce(Map.of("OMP_NUM_THREADS", "2"), "first.txt", "--only", "decoding", "--jobs", "2");
        assertEquals(0, first.waitFor(), Jvm.read(tmp.resolve("first.txt")));
        assertTrue(Jvm.read(tmp.resolve("first.txt")).contains("2 job(s) at once, 1 thread(s) each"));
        // Decoding's rows are timings: it runs alone, with both threads, whatever --jobs says.
        assertTrue(decoding.runsAlone());
        List<Map<String, String>> rows = Experiments.readCsv(out().resolve("decoding.csv"));
        assertEquals(List.of(), ResultsCheck.checkTable(out().resolve("decoding.csv"), decoding, rows));
        for (Map<String, String> r : rows) {
            assertEquals("2", r.get("threads"));
            assertEquals("1", r.get("jobs"));
            assertEquals("local", r.get("executor"));
        }
        for (RunConfig c : decoding.configs(Profile.SMOKE)) {
            String log = Jvm.read(Shards.log(out(), decoding, c));
            assertTrue(log.contains("threads: ND4J 2, OpenMP 2, OpenBLAS 2 (OMP_NUM_THREADS=2)"), log);
        }
        Reproduction.Settings two = new Reproduction.Settings(Profile.SMOKE, List.of(), "cpu", out(), 2, 2, "x");
        assertEquals(1, two.childThreads(), "two jobs split two threads");
        assertEquals(2, two.alone().childThreads());
        Path before = tmp.resolve("before");
        Files.createDirectories(before);
        Files.copy(out().resolve("decoding.csv"), before.resolve("decoding.csv"));

        RunConfig cosine = decoding.configs(Profile.SMOKE).get(0);
        Path shard = Shards.csv(out(), decoding, cosine);
        String text = Files.readString(shard);
        Files.writeString(shard, text.substring(0, text.length() / 2));   // truncated
        Process again = reproduce(Map.of("OMP_NUM_THREADS", "2"), "again.txt", "--only", "decoding");
        assertEquals(0, again.waitFor(), Jvm.read(tmp.resolve("again.txt")));
        List<String> lines = Jvm.read(tmp.resolve("again.txt")).lines().filter(l -> l.contains("running it again")).toList();
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).contains(cosine.key() + ".csv: its SHA-256 differs"), lines.get(0));
        assertTrue(Jvm.read(tmp.resolve("again.txt")).contains("decoding: 2 configurations, 1 already done (resuming)"));
        assertTrue(Shards.state(out(), decoding, cosine).finished());
        assertEquals(List.of(), ResultsCheck.compare(before, out()));
    }

    @Test
    void provenanceAndDefaultFoldersComeFromTheRepositoryRoot() throws Exception {
        Path repo = Path.of("..").toAbsolutePath().normalize();   // tests run in harness/
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
        RunConfig cosine = decoding.configs(Profile.SMOKE).get(0);
        Process run = Jvm.start(elsewhere, ONE_THREAD, List.of("-Dcottention.root=" + repo), tmp.resolve("run.txt"),
                "experiment-run", "--experiment", "decoding", "--config", cosine.key(), "--profile", "smoke", "--out", "rel");
        assertEquals(0, run.waitFor(), Jvm.read(tmp.resolve("run.txt")));
        Map<String, String> row = Experiments.readCsv(Shards.csv(elsewhere.resolve("rel"), decoding, cosine)).get(0);
        assertTrue(row.get("git_commit").matches("[0-9a-f]{12}"), row.toString());

        Path root = Files.createDirectories(tmp.resolve("root"));
        Process report = Jvm.start(elsewhere, Map.of(), List.of("-Dcottention.root=" + root), tmp.resolve("report.txt"),
                "reproduce", "--profile", "smoke", "--only", "decoding", "--report-only");
        assertEquals(1, report.waitFor());
        String printed = Jvm.read(tmp.resolve("report.txt"));
        assertTrue(printed.contains("2 configuration(s) have no finished shard in " + root.resolve("results/smoke/.runs")
                + "; no table was written"), printed);
        assertFalse(Files.exists(root.resolve("results/smoke/decoding.csv")));
        assertFalse(Files.exists(elsewhere.resolve("results")));
    }
}
