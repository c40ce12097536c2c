package org.cottention.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.cottention.harness.Main;
import org.cottention.kernels.OneThread;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./cottention train} end to end: output, curve CSV, checkpoint and resume, and one-line user errors. */
@ExtendWith(OneThread.class)
class TrainCommandTest {

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true), new PrintStream(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    static String fixture() throws Exception {
        return Path.of(TrainCommandTest.class.getResource("/fixtures/alice-chapters-1-3.txt").toURI()).toString();
    }

    static List<String> tiny(String model, String attention, String text, Path dir, String steps) {
        return new ArrayList<>(List.of("train", "--model", model, "--attention", attention, "--text", text, "--steps", steps,
                "--layers", "1", "--hidden", "16", "--heads", "2", "--seq", "16", "--batch", "2", "--log-every", "2",
                "--eval-batches", "1", "--threads", "1", "--curve", dir.resolve("curve.csv").toString(),
                "--checkpoint", dir.resolve("ck").toString(), "--checkpoint-every", "2"));
    }

    @Test
    void trainsWritesTheCurveAndResumes(@TempDir Path dir) throws Exception {
        List<String> args = tiny("gpt", "cosine", fixture(), dir, "4");
        Run r = run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("cosine attention (cosine-chunked)"), r.out());
        assertTrue(r.out().contains("threads: ND4J 1, OpenMP 1, OpenBLAS 1"), r.out());
        assertTrue(r.out().contains("done: 4 steps"), r.out());
        assertTrue(r.out().contains("stabiliser sigma(m) over 2 heads x 1 layer:"), r.out());
        List<String> curve = Files.readAllLines(dir.resolve("curve.csv"));
        assertEquals(5, curve.size());
        assertTrue(curve.get(0).startsWith("step,lr,train_loss"));
        assertFalse(curve.get(4).split(",", -1)[6].isEmpty(), "held-out loss at the last step");

        Run again = run(withFlag(args, "--resume").toArray(String[]::new));
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("resumed from"), again.out());
        assertTrue(again.out().contains("nothing to train"), again.out());
        assertFalse(again.out().contains("NaN"), again.out());

        List<String> changed = withFlag(args, "--resume");
        changed.set(changed.indexOf("--steps") + 1, "6");
        Run refused = run(changed.toArray(String[]::new));
        assertEquals(2, refused.code());
        assertTrue(refused.err().contains("train.steps=4"), refused.err());
        assertEquals(1, refused.err().strip().lines().count(), refused.err());
    }

    @Test
    void bertSoftmaxRuns(@TempDir Path dir) throws Exception {
        Run r = run(tiny("bert", "softmax", fixture(), dir, "2").toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("MLM + NSP"), r.out());
    }

    @Test
    void copyTaskRuns(@TempDir Path dir) {
        Run r = run("train", "--model", "gpt", "--attention", "softmax", "--task", "copy", "--steps", "2", "--layers", "1",
                "--hidden", "16", "--heads", "2", "--seq", "32", "--batch", "2", "--copy-block", "8", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("copy task (block 8, 64 symbols"), r.out());
    }

    @Test
    void userErrorsAreOneLineWithExitCode2(@TempDir Path dir) throws Exception {
        String[][] bad = {
            {"train", "--model", "gpt", "--attention", "cosine", "--bogus", "1"},
            {"train", "--model", "gpt", "--attention", "cosine"},
            {"train", "--model", "gpt", "--attention", "cosine", "--text", dir.resolve("missing.txt").toString()},
            {"train", "--model", "bert", "--attention", "cosine", "--task", "copy"},
            {"train", "--model", "gpt", "--attention", "cosine", "--impl", "softmax-materialized", "--text", fixture()},
            {"train", "--model", "bert", "--attention", "cosine", "--impl", "cosine-chunked", "--text", fixture()},
            {"train", "--model", "gpt", "--attention", "cosine", "--hidden", "30", "--heads", "4", "--text", fixture()},
            {"train", "--model", "gpt", "--attention", "cosine", "--lr", "fast", "--text", fixture()},
            {"train", "--model", "gpt", "--attention", "cosine", "--resume", "--text", fixture()},
        };
        for (String[] args : bad) {
            Run r = run(args);
            assertEquals(2, r.code(), Arrays.toString(args) + " -> " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.out().isEmpty() || !r.out().contains("done:"), r.out());
        }
        assertFalse(Files.exists(dir.resolve("missing.txt")));
    }

    private static List<String> withFlag(List<String> args, String flag) {
        List<String> out = new ArrayList<>(args);
        out.add(flag);
        return out;
    }
}
