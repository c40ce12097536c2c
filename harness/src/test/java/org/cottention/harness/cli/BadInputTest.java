package org.cottention.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.cottention.harness.Main;
import org.cottention.harness.io.NpyBytes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input, table-driven: every case exits with 2 and prints ONE line on stderr that names the input (the
 * expected fragments) and points at the fix, with no stack trace, no JVM crash log (hs_err_pid*.log) and nothing
 * written (the output folder is byte for byte what it was). The memory cases use shapes whose estimate exceeds any
 * machine, so they are refused before anything is allocated; the whole table runs in process, in seconds.
 */
class BadInputTest {
    @TempDir
    static Path dir;
    static Path out;

    /** One bad command line: what it is, the fragments its error line must contain, and the arguments. */
    record Case(String what, List<String> expect, List<String> args) {
        @Override
        public String toString() {
            return what + ": " + String.join(" ", args);
        }
    }

    static final List<Case> CASES = new ArrayList<>();

    static void add(String what, String expect, String... args) {
        CASES.add(new Case(what, List.of(expect.split("\\|")), List.of(args)));
    }

    static final String FIXTURE = fixture();

    private static String fixture() {
        try {
            return Path.of(BadInputTest.class.getResource("/fixtures/alice-chapters-1-3.txt").toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static String f(String name) {
        return dir.resolve(name).toString();
    }

    @BeforeAll
    static void inputs() throws IOException {
        out = dir.resolve("out");
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "what was there before\n");
        long n = 1, h = 2, s = 6, d = 4;
        long[] qkv = {n, h, s, d};
        double[] values = new double[(int) (n * h * s * d)];
        for (int i = 0; i < values.length; i++) values[i] = Math.sin(i);
        write("q.npy", "<f4", qkv, values);
        write("q64.npy", "<f8", qkv, values);
        write("k5.npy", "<f4", new long[] {n, h, s, d + 1}, new double[(int) (n * h * s * (d + 1))]);
        double[] nan = values.clone();
        nan[3] = Double.NaN;
        write("nan.npy", "<f4", qkv, nan);
        double[] inf = values.clone();
        inf[7] = Double.POSITIVE_INFINITY;
        write("inf.npy", "<f8", qkv, inf);
        write("int.npy", "<i8", qkv, new double[values.length]);
        write("q3d.npy", "<f4", new long[] {h, s, d}, new double[(int) (h * s * d)]);
        write("empty.npy", "<f4", new long[] {n, h, 0, d}, new double[0]);
        double[] mask = new double[(int) (n * s)];
        Arrays.fill(mask, 1);
        mask[2] = 2;
        write("mask2.npy", "<f4", new long[] {n, s}, mask);
        write("maskT.npy", "<f4", new long[] {s, n}, new double[(int) (n * s)]);
        write("m3.npy", "<f8", new long[] {3}, new double[3]);
        write("mnan.npy", "<f8", new long[] {h}, new double[] {0.5, Double.NaN});
        // A valid float32 input whose s x s softmax probabilities would need 160 GB.
        write("long.npy", "<f4", new long[] {1, 1, 200_000, 1}, new double[200_000]);
        byte[] good = Files.readAllBytes(dir.resolve("q.npy"));
        Files.write(dir.resolve("trunc.npy"), Arrays.copyOf(good, good.length - 5));
        Files.writeString(dir.resolve("text.npy"), "q,k,v\n1,2,3\n");
        Files.write(dir.resolve("overflow.npy"), header("{'descr': '<f4', 'fortran_order': False, "
                + "'shape': (4611686018427387904, 4), }"));
        Files.write(dir.resolve("negative.npy"), header("{'descr': '<f4', 'fortran_order': False, 'shape': (1, -2, 6, 4), }"));
        Files.write(dir.resolve("fortran.npy"), NpyBytes.of("<f4", qkv, values, true, 1));
        Files.writeString(dir.resolve("short.txt"), "a text far shorter than one window of 128 bytes\n");
        Files.writeString(dir.resolve("a-file"), "not a folder\n");
        Files.writeString(dir.resolve("readonly.csv"), "");
        Files.writeString(dir.resolve("reviews.tsv"), "text\tlabel\ngood\tpos\nbad\tneg\nfine\tpos\n");
        Files.writeString(dir.resolve("nocolumn.tsv"), "review_text\tstars\tuser\ngood\t5\tx\n");
        Files.writeString(dir.resolve("empty.tsv"), "");
        Files.writeString(dir.resolve("header-only.csv"), "text,label\n");
        Files.writeString(dir.resolve("unseen.tsv"), "text\tlabel\nso so\tneutral\n");
        Files.writeString(dir.resolve("one-label.tsv"), "text\tlabel\ngood\tpos\nfine\tpos\n");
        Files.writeString(dir.resolve("bad.jsonl"), "{\"text\": \"good\", \"label\": 1}\nnot json\n");
        Files.writeString(dir.resolve("nokey.jsonl"), "{\"body\": \"good\", \"label\": 1}\n");
        defineCases();
    }

    private static void write(String name, String descr, long[] shape, double[] values) throws IOException {
        Files.write(dir.resolve(name), NpyBytes.of(descr, shape, values));
    }

    /** A version 1.0 .npy header with the given dict and no data. */
    private static byte[] header(String dict) {
        String padded = dict + " ".repeat(Math.max(0, 117 - dict.length())) + "\n";
        byte[] h = padded.getBytes(StandardCharsets.ISO_8859_1);
        byte[] b = new byte[10 + h.length];
        byte[] magic = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
        System.arraycopy(magic, 0, b, 0, 8);
        b[8] = (byte) (h.length & 0xFF);
        b[9] = (byte) (h.length >> 8);
        System.arraycopy(h, 0, b, 10, h.length);
        return b;
    }

    private static String[] attention(String... extra) {
        return with(List.of("attention", "--kind", "cosine", "--q", f("q.npy"), "--k", f("q.npy"), "--v", f("q.npy"),
                "--out", out.resolve("att").toString()), extra);
    }

    private static String[] train(String... extra) {
        return with(List.of("train", "--model", "gpt", "--attention", "cosine", "--text", FIXTURE, "--steps", "2",
                "--layers", "1", "--hidden", "16", "--heads", "2", "--seq", "16", "--batch", "2", "--curve",
                out.resolve("train/curve.csv").toString()), extra);
    }

    private static String[] classify(String... extra) {
        return with(List.of("train", "--model", "bert", "--attention", "cosine", "--task", "classify", "--train",
                f("reviews.tsv"), "--valid", f("reviews.tsv"), "--steps", "2", "--layers", "1", "--hidden", "16", "--heads",
                "2", "--seq", "16", "--batch", "2", "--metrics", out.resolve("classify/metrics.csv").toString()), extra);
    }

    /**
     * A good command line changed by extra: "--flag value" sets (or adds) a flag's value, "--flag" alone adds a
     * boolean flag, or removes a flag (and its value) already there.
     */
    private static String[] with(List<String> base, String... extra) {
        List<String> a = new ArrayList<>(base);
        for (int i = 0; i < extra.length; i++) {
            String flag = extra[i];
            String value = i + 1 < extra.length && !extra[i + 1].startsWith("--") ? extra[++i] : null;
            int at = a.indexOf(flag);
            boolean valued = at >= 0 && at + 1 < a.size() && !a.get(at + 1).startsWith("--");
            if (at >= 0 && value != null) {
                a.set(at + 1, value);
            } else if (at >= 0) {
                if (valued) a.remove(at + 1);
                a.remove(at);
            } else {
                a.add(flag);
                if (value != null) a.add(value);
            }
        }
        return a.toArray(String[]::new);
    }

    private static String[] plus(String[] args, String... more) {
        List<String> a = new ArrayList<>(List.of(args));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    private static void defineCases() {
        // attention: files
        add("missing file", "nope.npy|no such file", attention("--q", f("nope.npy")));
        add("truncated file", "trunc.npy|truncated", attention("--k", f("trunc.npy")));
        add("not a .npy file", "text.npy|not a .npy file|numpy.save", attention("--v", f("text.npy")));
        add("shape overflowing a long", "overflow.npy|overflow", attention("--q", f("overflow.npy")));
        add("negative dimension", "negative.npy|negative dimension", attention("--q", f("negative.npy")));
        add("Fortran order", "fortran.npy|ascontiguousarray", attention("--q", f("fortran.npy")));
        add("integer q", "int.npy|4-D float32 or float64", attention("--q", f("int.npy")));
        add("3-D q", "q3d.npy|4-D float32 or float64", attention("--q", f("q3d.npy")));
        add("empty dimension", "empty.npy|empty dimension", attention("--q", f("empty.npy")));
        add("k of another shape", "k5.npy|expected shape", attention("--k", f("k5.npy")));
        add("dtypes differ", "q64.npy|float32", attention("--v", f("q64.npy")));
        add("NaN in q", "nan.npy|NaN|finite", attention("--q", f("nan.npy"), "--k", f("nan.npy"), "--v", f("nan.npy")));
        add("infinity in v", "inf.npy|Infinity|finite", attention("--q", f("q64.npy"), "--k", f("q64.npy"), "--v", f("inf.npy")));
        add("NaN in --grad-out", "nan.npy|NaN|finite", attention("--grad-out", f("nan.npy")));
        add("mask not 0/1", "mask2.npy|0 or 1", attention("--mask", f("mask2.npy")));
        add("mask transposed", "maskT.npy|(N, s) = (1, 6)", attention("--mask", f("maskT.npy")));
        add("m of the wrong length", "m3.npy|(H,) = (2,)", attention("--m", f("m3.npy")));
        add("NaN in m", "mnan.npy|NaN", attention("--m", f("mnan.npy")));
        add("--out is a file", "a-file|not a folder", attention("--out", f("a-file")));
        // attention: flags
        add("--kind missing", "--kind is required", "attention", "--q", f("q.npy"), "--k", f("q.npy"), "--v", f("q.npy"),
                "--out", out.toString());
        add("--kind unknown", "--kind|sigmoid|cosine, softmax", attention("--kind", "sigmoid"));
        add("--impl unknown", "nope|known:", attention("--impl", "nope"));
        add("--impl of the other kind", "softmax-materialized|--kind is cosine", attention("--impl", "softmax-materialized"));
        add("--impl without causal", "cosine-linear|does not support causal", attention("--impl", "cosine-linear", "--causal"));
        add("--chunk 0", "--chunk|positive", attention("--causal", "--chunk", "0"));
        add("--chunk not a number", "--chunk|'many'", attention("--causal", "--chunk", "many"));
        add("--chunk for softmax", "--chunk applies to cosine-chunked", attention("--kind", "softmax", "--chunk", "8"));
        add("--m for softmax", "--m is the cosine stabiliser", attention("--kind", "softmax", "--m", f("m3.npy")));
        add("mistyped flag", "--chnk|did you mean --chunk?", attention("--chnk", "4"));
        add("--q without a value", "--q needs a value", "attention", "--kind", "cosine", "--q");
        // attention: too big for the machine, refused before allocating
        add("softmax s x s does not fit", "softmax-materialized|needs about|available|cosine-chunked",
                attention("--kind", "softmax", "--q", f("long.npy"), "--k", f("long.npy"), "--v", f("long.npy")));
        add("--chunk far larger than s", "cosine-chunked|needs about|--chunk", attention("--causal", "--chunk", "2000000000"));

        // train
        add("negative --lr", "--lr|>= 0|-1", train("--lr", "-1"));
        add("--lr not a number", "--lr|'fast'", train("--lr", "fast"));
        add("--beta1 2", "--beta1|[0, 1)", train("--beta1", "2"));
        add("--beta2 negative", "--beta2|[0, 1)", train("--beta2", "-0.1"));
        add("--adam-eps 0", "--adam-eps|> 0", train("--adam-eps", "0"));
        add("--weight-decay negative", "--weight-decay|>= 0", train("--weight-decay", "-1"));
        add("--dropout 1", "--dropout|[0, 1)", train("--dropout", "1"));
        add("--held-out 0", "--held-out|(0, 1)", train("--held-out", "0"));
        add("--steps 0", "--steps|positive", train("--steps", "0"));
        add("--steps not a number", "--steps|'ten'", train("--steps", "ten"));
        add("--batch beyond an int", "--batch|'99999999999'", train("--batch", "99999999999"));
        add("--layers 0", "--layers|positive", train("--layers", "0"));
        add("--hidden not a multiple of --heads", "--hidden 30|--heads 4", train("--hidden", "30", "--heads", "4"));
        add("--rotary-dim odd", "--rotary-dim|even", train("--rotary-dim", "3"));
        add("--warmup >= --steps", "--warmup 5|--steps 2", train("--warmup", "5"));
        add("--threads 0", "--threads|positive", train("--threads", "0"));
        add("--model missing", "--model is required", train("--model"));
        add("--model unknown", "--model|'t5'", train("--model", "t5"));
        add("--text missing", "missing.txt|no such file", train("--text", f("missing.txt")));
        add("text shorter than one window", "short.txt|too few|--seq", train("--text", f("short.txt")));
        add("--text with --task copy", "--text and --task copy", train("--task", "copy"));
        add("--task copy with BERT", "--task copy needs --model gpt", train("--model", "bert", "--text", "--task", "copy"));
        add("--no-nsp with GPT", "--no-nsp applies to --model bert", train("--no-nsp"));
        add("--copy-block with text", "--copy-block", train("--copy-block", "4"));
        add("--attention-dropout with cosine", "--attention-dropout|cosine", train("--model", "bert", "--attention-dropout", "0.2"));
        add("--impl of the other kind", "softmax-materialized|--attention is cosine", train("--impl", "softmax-materialized"));
        add("--resume without --checkpoint", "--resume needs --checkpoint", train("--resume"));
        add("--curve under a file", "--curve|a-file", train("--curve", dir.resolve("a-file/curve.csv").toString()));
        add("--checkpoint is a file", "--checkpoint|a-file|not a folder", train("--checkpoint", f("a-file")));
        add("mistyped train flag", "--lyers|did you mean --layers?", train("--lyers", "2"));
        add("repeated flag", "--layers given twice", plus(train(), "--layers", "2"));
        add("model too big for the machine", "GPT-J|needs about|available|--batch", train("--hidden", "65536", "--heads", "64"));
        add("--chunk so large its blocks do not fit", "needs about|--chunk", train("--chunk", "1000000"));

        // train --task classify (the user's own data)
        add("classify without --train", "--train is required", classify("--train"));
        add("classify: no label column", "nocolumn.tsv|no text column|--text-column", classify("--train", f("nocolumn.tsv")));
        add("classify: empty file", "empty.tsv|no examples", classify("--train", f("empty.tsv")));
        add("classify: header only", "header-only.csv|no examples", classify("--valid", f("header-only.csv")));
        add("classify: a label seen only in validation", "unseen.tsv|'neutral'|does not occur in the training file",
                classify("--valid", f("unseen.tsv")));
        add("classify: one label only", "one-label.tsv|at least two labels", classify("--train", f("one-label.tsv")));
        add("classify: a JSON line that is not JSON", "bad.jsonl|line 2|JSON", classify("--valid", f("bad.jsonl")));
        add("classify: JSON lines without a text key", "nokey.jsonl|no text key", classify("--valid", f("nokey.jsonl")));
        add("classify with GPT", "--task classify needs --model bert", classify("--model", "gpt"));
        add("classify with --text", "--text and --task classify", classify("--text", FIXTURE));
        add("--train without classify", "--train applies to --task classify", train("--train", f("reviews.tsv")));
        add("--init-from without a checkpoint", "--init-from|no checkpoint", classify("--init-from", f("none")));
        add("--pooling without classify", "--pooling applies to --task classify", train("--pooling", "mean"));
        add("--pooling unknown", "--pooling|'max'", classify("--pooling", "max"));

        // data
        add("unknown tokenizer", "wordpiece9|known", "data", "stats", "--fixture", "--tokenizers", "byte,wordpiece9");
        add("no data installed", "none|scripts/setup-data.sh", "data", "stats", "--data", f("none"));
        add("--fixture and --data", "--fixture and --data exclude each other", "data", "stats", "--fixture", "--data", f("x"));
        add("unknown data subcommand", "histogram|stats", "data", "histogram");
        add("mistyped data flag", "--fixtur|did you mean --fixture?", "data", "stats", "--fixtur");

        // bench (refused before any measurement)
        add("--only unknown part", "--only|'speed'", "bench", "--only", "attention,speed");
        add("--repeat without --gate", "--repeat applies to --gate only", "bench", "--repeat", "2");
        add("--gate --repeat 0", "--repeat|positive", "bench", "--gate", "--repeat", "0");
        add("--noise and --set-reference", "--noise and --set-reference", "bench", "--gate", "--noise", "2",
                "--set-reference", "HEAD");
        add("bench --out is a file", "a-file|not a folder", "bench", "--only", "gemm", "--out", f("a-file"));
        add("mistyped bench flag", "--quik|did you mean --quick?", "bench", "--quik");

        // check-results (its own parser)
        add("check-results without --dir", "--dir is required", "check-results");
        add("check-results --dir without a value", "--dir needs a value", "check-results", "--dir");
        add("check-results unknown flag", "unknown flag --bogus", "check-results", "--dir", ".", "--bogus");

        // reproduce: argument errors caught before any work
        add("reproduce unknown profile", "reproduce|fast", "reproduce", "--profile", "fast", "--out", out.toString());
        add("reproduce unknown experiment", "reproduce|nope|experiments:", "reproduce", "--only", "nope", "--out", out.toString());
        add("reproduce on CUDA", "--backend cuda", "reproduce", "--backend", "cuda", "--out", out.toString());
        add("reproduce mistyped flag", "--profle|did you mean --profile?", "reproduce", "--profle", "smoke");
        // --list is the dry parse ./reproduce.sh runs before it downloads data: it checks every value too.
        add("reproduce --list unknown profile", "reproduce|fast", "reproduce", "--list", "--profile", "fast");
        add("reproduce --list unknown experiment", "reproduce|nope", "reproduce", "--list", "--only", "nope");
        add("reproduce --list bad slurm time", "--slurm-time", "reproduce", "--list", "--executor", "slurm",
                "--slurm-time", "soon");

        // the command itself
        add("unknown command", "tarin|did you mean train?", "tarin");
    }

    @Test
    void everyBadInputIsOneLineExitTwoAndWritesNothing() throws IOException {
        assertTrue(CASES.size() >= 40, CASES.size() + " cases");
        Path cwd = Path.of("").toAbsolutePath();
        List<String> crashLogs = crashLogs(cwd);
        List<String> failures = new ArrayList<>();
        for (Case c : CASES) {
            Map<String, String> before = snapshot(out);
            ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
            int code = Main.run(c.args.toArray(String[]::new), new PrintStream(o, true, StandardCharsets.UTF_8),
                    new PrintStream(e, true, StandardCharsets.UTF_8));
            String err = e.toString(StandardCharsets.UTF_8).strip();
            List<String> why = new ArrayList<>();
            if (code != 2) why.add("exit " + code);
            if (err.lines().count() != 1) why.add(err.lines().count() + " lines on stderr");
            if (!err.startsWith("cottention")) why.add("the line does not start with 'cottention'");
            if (err.contains("Exception") || err.contains("\tat ")) why.add("a stack trace or exception name");
            for (String x : c.expect) if (!err.contains(x)) why.add("no '" + x + "'");
            if (o.toString(StandardCharsets.UTF_8).contains("done:")) why.add("it ran");
            if (!snapshot(out).equals(before)) why.add("the output folder changed");
            if (!why.isEmpty()) failures.add(c + "\n    -> " + String.join("; ", why) + "\n    stderr: " + err);
        }
        assertEquals(crashLogs, crashLogs(cwd), "a JVM crash log appeared");
        assertTrue(failures.isEmpty(), failures.size() + " of " + CASES.size() + " cases:\n" + String.join("\n", failures));
        System.out.println("BadInputTest: " + CASES.size() + " bad inputs, each one line and exit 2");
    }

    @Test
    void theCasesAreDistinct() {
        assertEquals(CASES.size(), CASES.stream().map(c -> c.args).distinct().count(), "no case repeats another");
        assertFalse(CASES.stream().anyMatch(c -> c.expect.isEmpty()));
    }

    private static List<String> crashLogs(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("hs_err_pid")).sorted().toList();
        }
    }

    /** Every file under dir with its content: equal snapshots = nothing written, created or removed. */
    private static Map<String, String> snapshot(Path d) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(d)) {
            for (Path p : s.toList()) {
                m.put(d.relativize(p).toString(), Files.isDirectory(p) ? "/" : Files.readString(p));
            }
        }
        return m;
    }
}
