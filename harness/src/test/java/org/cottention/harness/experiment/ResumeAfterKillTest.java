package org.cottention.harness.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cottention.harness.train.Checkpoint;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Resuming, tested as it happens: a real {@code train} process killed with kill -9 in the middle of its work and
 * started again ends exactly where an uninterrupted one does, at 1 and 2 threads: the same losses at every step
 * and the same final parameters and AdamW moments, bit for bit. (The same for {@code reproduce}:
 * RunnerProcessTest.aKill9OfTheRunnerStopsItsChildAndARerunResumesToTheSameTable.)
 */
class ResumeAfterKillTest {
    @TempDir
    Path tmp;

    static final String STEPS = "160";

    static String fixture() throws Exception {
        return Path.of(ResumeAfterKillTest.class.getResource("/fixtures/alice-chapters-1-3.txt").toURI()).toString();
    }

    private Process train(Path dir, int threads) throws Exception {
        Files.createDirectories(dir);
        return Jvm.start(dir, Map.of("OMP_NUM_THREADS", Integer.toString(threads)), List.of(), dir.resolve("out.txt"),
                "train", "--model", "gpt", "--attention", "cosine", "--text", fixture(), "--steps", STEPS,
                "--layers", "1", "--hidden", "32", "--heads", "2", "--seq", "32", "--batch", "4", "--log-every", "10",
                "--eval-every", "40", "--eval-batches", "1", "--threads", Integer.toString(threads),
                "--curve", dir.resolve("curve.csv").toString(), "--checkpoint", dir.resolve("ck").toString(),
                "--checkpoint-every", "20", "--resume");
    }

    /** The curve's columns that are results (the timing and memory columns differ between runs). */
    private static List<String> results(Path curve) throws Exception {
        List<String> out = new ArrayList<>();
        for (Map<String, String> r : Experiments.readCsv(curve)) {
            out.add(String.join(",", r.get("step"), r.get("lr"), r.get("train_loss"), r.get("train_main_loss"),
                    r.get("train_accuracy"), r.get("grad_norm"), r.get("eval_loss"), r.get("eval_accuracy"),
                    r.get("eval_perplexity"), r.get("sigma_m_mean")));
        }
        return out;
    }

    @ParameterizedTest(name = "--threads {0}")
    @ValueSource(ints = {1, 2})
    void trainKilledMidwayAndResumedEqualsAnUninterruptedRun(int threads) throws Exception {
        Path whole = tmp.resolve("whole"), killed = tmp.resolve("killed");
        Process uninterrupted = train(whole, threads);
        Process first = train(killed, threads);
        Jvm.await("the run to pass step 50", () -> Jvm.read(killed.resolve("out.txt")).contains("step 50/" + STEPS)
                || !first.isAlive());
        first.destroyForcibly();   // kill -9, in the middle of a step
        first.waitFor();
        String before = Jvm.read(killed.resolve("out.txt"));
        assertFalse(before.contains("done:"), "killed before the end: " + before);
        assertTrue(Checkpoint.exists(killed.resolve("ck")), "a checkpoint before the kill: " + before);
        long stepAtKill = Checkpoint.loadLatest(killed.resolve("ck")).state().step();
        assertTrue(stepAtKill >= 40 && stepAtKill < Long.parseLong(STEPS), "a checkpoint mid-way: step " + stepAtKill);

        Process again = train(killed, threads);
        assertEquals(0, again.waitFor(), Jvm.read(killed.resolve("out.txt")));
        assertEquals(0, uninterrupted.waitFor(), Jvm.read(whole.resolve("out.txt")));
        assertTrue(Jvm.read(killed.resolve("out.txt")).contains("resumed from"), Jvm.read(killed.resolve("out.txt")));

        assertEquals(results(whole.resolve("curve.csv")), results(killed.resolve("curve.csv")));
        Checkpoint.Loaded a = Checkpoint.loadLatest(whole.resolve("ck")), b = Checkpoint.loadLatest(killed.resolve("ck"));
        assertEquals(Long.parseLong(STEPS), b.state().step());
        assertArrayEquals(a.params(), b.params());
        assertArrayEquals(a.firstMoment(), b.firstMoment());
        assertArrayEquals(a.secondMoment(), b.secondMoment());
    }
}
