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
    void fineTunesAPretrainedBertOnAUsersTsvAndWritesTheMetricsTable(@TempDir Path dir) throws Exception {
        String fixtures = Path.of(fixture()).getParent().toString();
        Run pre = run("train", "--model", "bert", "--attention", "cosine", "--text", fixture(), "--steps", "2", "--layers",
                "1", "--hidden", "16", "--heads", "2", "--seq", "32", "--batch", "2", "--eval-batches", "1", "--threads", "1",
                "--checkpoint", dir.resolve("pre").toString());
        assertEquals(0, pre.code(), pre.err());
        Path metrics = dir.resolve("out/metrics.csv");
        Run r = run("train", "--model", "bert", "--attention", "cosine", "--task", "classify", "--train",
                fixtures + "/reviews-train.tsv", "--valid", fixtures + "/reviews-valid.tsv", "--init-from",
                dir.resolve("pre").toString(), "--steps", "4", "--layers", "1", "--hidden", "16", "--heads", "2", "--seq",
                "32", "--batch", "4", "--threads", "1", "--pooling", "mean", "--metrics", metrics.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("labels negative=0 (12), positive=1 (12)"), r.out());
        assertTrue(r.out().contains("init: the encoder from"), r.out());
        assertTrue(r.out().contains("metrics on ") && r.out().contains("over 8 examples"), r.out());
        List<String> lines = Files.readAllLines(metrics);
        assertEquals(2, lines.size(), lines.toString());
        List<String> header = List.of(lines.get(0).split(",")), row = List.of(lines.get(1).split(",", -1));
        assertEquals(TrainCommand.METRICS_COLUMNS, header.subList(0, TrainCommand.METRICS_COLUMNS.size()));
        assertEquals("classify", row.get(0));
        assertEquals("negative positive", row.get(header.indexOf("labels")));
        assertEquals("8", row.get(header.indexOf("eval_examples")));
        for (String metric : new String[] {"eval_accuracy", "f1"}) {
            double x = Double.parseDouble(row.get(header.indexOf(metric)));
            assertTrue(x >= 0 && x <= 1, metric + " " + x);
        }
        double mcc = Double.parseDouble(row.get(header.indexOf("matthews")));
        assertTrue(mcc >= -1 && mcc <= 1, "matthews " + mcc);
    }

    @Test
    void pretrainsOnSeveralFilesAndFolders(@TempDir Path dir) throws Exception {
        Path texts = Files.createDirectories(dir.resolve("texts"));
        String alice = Files.readString(Path.of(fixture()));
        Files.writeString(texts.resolve("a.txt"), alice.substring(0, alice.length() / 2));
        Files.writeString(texts.resolve("b.txt"), alice.substring(alice.length() / 2));
        Run r = run("train", "--model", "gpt", "--attention", "cosine", "--text", texts.toString(), fixture(), "--steps",
                "2", "--layers", "1", "--hidden", "16", "--heads", "2", "--seq", "16", "--batch", "2", "--eval-batches", "1",
                "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(3 files)"), r.out());
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
