package org.cottention.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.cottention.harness.Main;
import org.cottention.harness.io.Npy;
import org.cottention.harness.io.NpyBytes;
import org.cottention.reference.Gradients;
import org.cottention.reference.RandomTensors;
import org.cottention.reference.ReferenceCosineAttention;
import org.cottention.reference.ReferenceSoftmaxAttention;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./cottention attention} end to end on hand-built .npy files: results, and every kind of bad input. */
class AttentionCommandTest {
    private static final int N = 2, H = 3, S = 9, DK = 5, DV = 4;

    @TempDir
    Path dir;
    private Path out;
    private final Random rng = new Random(11);
    private final double[][][][] q = RandomTensors.normal(rng, N, H, S, DK), k = RandomTensors.normal(rng, N, H, S, DK);
    private final double[][][][] v = RandomTensors.normal(rng, N, H, S, DV), g = RandomTensors.normal(rng, N, H, S, DV);
    private final double[][] mask = RandomTensors.rightPadded(rng, N, S);
    private final double[] m = RandomTensors.stabilizer(rng, H);

    private record Result(int code, String out, String err) {}

    @BeforeEach
    void writeInputs() throws Exception {
        out = dir.resolve("out");
        for (String descr : new String[] {"<f4", "<f8"}) {
            String t = descr.equals("<f4") ? "32" : "64";
            write("q" + t + ".npy", descr, new long[] {N, H, S, DK}, flat(q));
            write("k" + t + ".npy", descr, new long[] {N, H, S, DK}, flat(k));
            write("v" + t + ".npy", descr, new long[] {N, H, S, DV}, flat(v));
            write("g" + t + ".npy", descr, new long[] {N, H, S, DV}, flat(g));
        }
        double[] maskFlat = new double[N * S];
        for (int b = 0; b < N; b++) System.arraycopy(mask[b], 0, maskFlat, b * S, S);
        write("mask.npy", "|b1", new long[] {N, S}, maskFlat);
        write("m.npy", "<f8", new long[] {H}, m);
    }

    @Test
    void matchesTheReferenceForEveryKindModeAndDtype() throws Exception {
        for (String kind : new String[] {"cosine", "softmax"}) {
            for (boolean causal : new boolean[] {false, true}) {
                for (String t : new String[] {"32", "64"}) {
                    List<String> args = new ArrayList<>(List.of("attention", "--kind", kind, "--q", p("q" + t),
                            "--k", p("k" + t), "--v", p("v" + t), "--mask", p("mask"), "--grad-out", p("g" + t),
                            "--out", out.toString()));
                    if (causal) args.add("--causal");
                    if (kind.equals("cosine")) args.addAll(List.of("--m", p("m")));
                    Result r = run(args.toArray(String[]::new));
                    assertEquals(0, r.code, r.err);
                    boolean cos = kind.equals("cosine");
                    double[][][][] o = cos ? ReferenceCosineAttention.forward(causal, q, k, v, mask, m)
                            : ReferenceSoftmaxAttention.forward(causal, q, k, v, mask);
                    Gradients gr = cos ? ReferenceCosineAttention.backward(causal, q, k, v, mask, m, g)
                            : ReferenceSoftmaxAttention.backward(causal, q, k, v, mask, g);
                    double tol = t.equals("32") ? 1e-5 : 1e-10;
                    String descr = t.equals("32") ? "<f4" : "<f8";
                    check("o.npy", descr, flat(o), tol);
                    check("dq.npy", descr, flat(gr.dq()), tol);
                    check("dk.npy", descr, flat(gr.dk()), tol);
                    check("dv.npy", descr, flat(gr.dv()), tol);
                    assertEquals(cos, Files.exists(out.resolve("dm.npy")), kind);
                    if (cos) check("dm.npy", descr, gr.dm(), tol);
                    clean(out);
                }
            }
        }
    }

    @Test
    void everyImplementationIsReachableByName() throws Exception {
        for (String impl : new String[] {"cosine-chunked", "cosine-quadratic", "cosine-reference"}) {
            Result r = run("attention", "--kind", "cosine", "--causal", "--impl", impl, "--q", p("q64"), "--k", p("k64"),
                    "--v", p("v64"), "--out", out.toString());
            assertEquals(0, r.code, r.err);
            assertTrue(r.out.contains(impl), r.out);
            check("o.npy", "<f8", flat(ReferenceCosineAttention.forward(true, q, k, v, null, null)), 1e-10);
        }
        Result list = run("attention", "--list");
        assertEquals(0, list.code);
        assertTrue(list.out.contains("cosine-chunked") && list.out.contains("softmax-materialized"), list.out);
    }

    @Test
    void badInputGetsOneLineNamingTheFileExitTwoAndNoOutput() throws Exception {
        write("bad.npy", "<f4", new long[] {N, H, S, DK + 1}, new double[N * H * S * (DK + 1)]);
        Files.write(dir.resolve("trunc.npy"), Arrays.copyOf(Files.readAllBytes(dir.resolve("q32.npy")), 200));
        Files.writeString(dir.resolve("text.npy"), "q,k,v\n1,2,3\n");
        double[] nan = flat(v);
        nan[5] = Double.NaN;
        write("nan.npy", "<f4", new long[] {N, H, S, DV}, nan);
        double[] badMask = new double[N * S];
        badMask[3] = 2;
        write("mask3.npy", "<i8", new long[] {N, S}, badMask);
        write("int.npy", "<i8", new long[] {N, H, S, DK}, new double[N * H * S * DK]);

        String[][] cases = {
            {"bad.npy", "expected shape", "--k", p("bad")},
            {"k32.npy", "float32", "--q", p("q64"), "--k", p("k32")},   // dtype differs from q
            {"trunc.npy", "truncated", "--q", p("trunc")},
            {"text.npy", "not a .npy file", "--v", p("text")},
            {"nan.npy", "NaN", "--v", p("nan")},
            {"mask3.npy", "0 or 1", "--mask", p("mask3")},
            {"int.npy", "4-D float32 or float64", "--q", p("int")},
            {"missing.npy", "no such file", "--q", p("missing")},
        };
        for (String[] c : cases) {
            List<String> args = new ArrayList<>(List.of("attention", "--kind", "cosine", "--q", p("q32"), "--k",
                    p("k32"), "--v", p("v32"), "--out", out.toString()));
            for (int i = 2; i < c.length; i += 2) {
                int at = args.indexOf(c[i]);
                if (at >= 0) args.set(at + 1, c[i + 1]);
                else args.addAll(List.of(c[i], c[i + 1]));
            }
            Result r = run(args.toArray(String[]::new));
            assertEquals(2, r.code, c[0] + ": " + r.err);
            assertEquals(1, r.err.strip().lines().count(), "one line: " + r.err);
            assertTrue(r.err.contains(c[0]) && r.err.contains(c[1]), c[0] + " -> " + r.err);
            assertFalse(Files.exists(out) && Files.list(out).findAny().isPresent(), "nothing written for " + c[0]);
        }
        // A mask of the transposed shape (s, N):
        write("mask4.npy", "<f4", new long[] {S, N}, new double[N * S]);
        Result r = run("attention", "--kind", "cosine", "--q", p("q32"), "--k", p("k32"), "--v", p("v32"), "--mask",
                p("mask4"), "--out", out.toString());
        assertEquals(2, r.code);
        assertTrue(r.err.contains("mask4.npy") && r.err.contains("(N, s) = (2, 9)"), r.err);
    }

    @Test
    void badFlagsAreUsageErrors() {
        String[][] cases = {
            {"--kind", "cosine", "--frobnicate", "1"},
            {"--kind", "sigmoid", "--q", "x"},
            {"--kind", "cosine", "--impl", "softmax-materialized", "--q", "x"},
            {"--kind", "cosine", "--impl", "cosine-linear", "--causal", "--q", "x"},
            {"--kind", "cosine", "--impl", "nope", "--q", "x"},
            {"--kind", "cosine", "--chunk", "0", "--causal", "--q", "x"},
            {"--kind", "softmax", "--chunk", "8", "--q", "x"},
        };
        for (String[] c : cases) {
            String[] args = Stream.concat(Stream.of("attention"), Arrays.stream(c)).toArray(String[]::new);
            Result r = run(args);
            assertEquals(2, r.code, String.join(" ", c) + " -> " + r.err);
            assertEquals(1, r.err.strip().lines().count(), r.err);
        }
        assertEquals(2, run("no-such-command").code);
    }

    private Result run(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        return new Result(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    private void check(String file, String descr, double[] expected, double tol) throws Exception {
        Npy.Array a = Npy.read(out.resolve(file));
        assertEquals(descr, a.descr(), file);
        assertEquals(expected.length, a.values().length, file);
        double num = 0, den = 0;
        for (int i = 0; i < expected.length; i++) {
            num += (a.values()[i] - expected[i]) * (a.values()[i] - expected[i]);
            den += expected[i] * expected[i];
        }
        assertTrue(Math.sqrt(num / den) < tol, file + " relative error " + Math.sqrt(num / den));
    }

    private String p(String name) {
        return dir.resolve(name + ".npy").toString();
    }

    private void write(String name, String descr, long[] shape, double[] values) throws Exception {
        Files.write(dir.resolve(name), NpyBytes.of(descr, shape, values));
    }

    private static void clean(Path d) throws Exception {
        try (Stream<Path> files = Files.list(d)) {
            for (Path f : files.toList()) Files.delete(f);
        }
    }

    static double[] flat(double[][][][] a) {
        return Arrays.stream(a).flatMap(Arrays::stream).flatMap(Arrays::stream).flatMapToDouble(Arrays::stream).toArray();
    }
}
