package org.cottention.harness.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.cottention.api.Attention;
import org.cottention.api.AttentionGradients;
import org.cottention.api.AttentionInput;
import org.cottention.api.AttentionKind;
import org.cottention.api.AttentionShape;
import org.cottention.cosine.ChunkedCausalCosineAttention;
import org.cottention.cuda.CudaUnavailableException;
import org.cottention.harness.CliException;
import org.cottention.harness.Options;
import org.cottention.harness.attention.AttentionRegistry;
import org.cottention.harness.io.AtomicFiles;
import org.cottention.harness.io.Npy;
import org.cottention.harness.train.MemoryBudget;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./cottention attention}: one attention call on .npy inputs, for cross-checking against NumPy or PyTorch.
 * Every input is checked before anything is computed; outputs are written atomically, and on any error nothing
 * is written and the exit code is 2.
 */
@Command(name = "attention", sortOptions = false,
        description = "one attention call on .npy files (outputs and gradients)",
        customSynopsis = {
            "./cottention attention --kind cosine|softmax [--causal] --q Q.npy --k K.npy --v V.npy",
            "                              [--mask MASK.npy] [--m M.npy] [--grad-out G.npy] [--impl NAME]",
            "                              [--chunk C] --out DIR",
            "       ./cottention attention --list"},
        footerHeading = "%n",
        footer = "q, k: (N, H, s, dk); v: (N, H, s, dv); float32 or float64, C order, one dtype for all, "
                + "finite. Writes DIR/o.npy (N, H, s, dv) in q's dtype; with --grad-out also dq.npy, "
                + "dk.npy, dv.npy and, for cosine, dm.npy. The memory the call needs is estimated from the "
                + "shapes first: a call that does not fit is refused (exit 2) before anything is allocated.")
public final class AttentionCommand implements Callable<Integer> {
    /** The attention kinds as typed on the command line. */
    enum Kind { cosine, softmax }

    @Option(names = "--kind", paramLabel = "KIND", description = "cosine or softmax")
    Kind kind;
    @Option(names = "--causal", description = "causal attention (default: bidirectional)")
    boolean causal;
    @Option(names = "--q", paramLabel = "Q.npy", description = "queries (N, H, s, dk)")
    String q;
    @Option(names = "--k", paramLabel = "K.npy", description = "keys (N, H, s, dk)")
    String k;
    @Option(names = "--v", paramLabel = "V.npy", description = "values (N, H, s, dv)")
    String v;
    @Option(names = "--mask", paramLabel = "MASK.npy",
            description = "(N, s), 1 = real token, 0 = padding (bool, integer or float); absent = all real")
    String mask;
    @Option(names = "--m", paramLabel = "M.npy",
            description = "(H,) raw stabiliser parameters before the sigmoid (cosine only); absent = 0.5 each")
    String m;
    @Option(names = "--grad-out", paramLabel = "G.npy",
            description = "dL/dO, shape (N, H, s, dv), q's dtype: also computes the gradients")
    String gradOut;
    @Option(names = "--impl", paramLabel = "NAME", description = "an implementation (--list shows them); default: "
            + "the fastest CPU one for the kind; auto: the CUDA one when a GPU is there (float32), else the CPU one")
    String impl;
    @Option(names = "--chunk", paramLabel = "C", description = "cosine-chunked's chunk size (default: "
            + ChunkedCausalCosineAttention.DEFAULT_CHUNK + ")")
    Integer chunk;
    @Option(names = "--out", paramLabel = "DIR", description = "where the outputs go")
    String outDir;
    @Option(names = "--list", description = "list the implementations and exit")
    boolean list;

    private final PrintStream stdout;

    public AttentionCommand(PrintStream out) {
        this.stdout = out;
    }

    @Override
    public Integer call() {
        PrintStream out = stdout;
        if (list) {
            out.print(listing());
            return 0;
        }
        if (kind == null) throw new CliException("attention: --kind is required (cosine or softmax)");
        AttentionKind kind = AttentionKind.valueOf(this.kind.name().toUpperCase(Locale.ROOT));
        boolean causal = this.causal;
        String mode = causal ? "causal" : "bidirectional";
        AttentionRegistry.Entry entry;
        boolean auto = "auto".equals(impl);
        if (auto) {
            entry = AttentionRegistry.defaultFor(kind, causal); // until the dtype is known; see below
        } else if (impl != null) {
            entry = AttentionRegistry.find(impl).orElseThrow(() -> new CliException("attention: unknown "
                    + "--impl '" + impl + "'; known: " + AttentionRegistry.names()));
            if (entry.kind() != kind) {
                throw new CliException("attention: --impl " + entry.name() + " is " + entry.kind().label()
                        + " attention, but --kind is " + kind.label());
            }
            if (!entry.supports(causal)) {
                throw new CliException("attention: --impl " + entry.name() + " does not support " + mode
                        + " attention" + (causal ? "" : "; add --causal"));
            }
        } else {
            entry = AttentionRegistry.defaultFor(kind, causal);
        }
        if (chunk != null && !auto && !entry.name().equals(ChunkedCausalCosineAttention.NAME)) {
            throw new CliException("attention: --chunk applies to " + ChunkedCausalCosineAttention.NAME
                    + " only, not " + entry.name());
        }
        int chunk = Options.positive("--chunk", this.chunk, ChunkedCausalCosineAttention.DEFAULT_CHUNK);
        if (m != null && kind != AttentionKind.COSINE) {
            throw new CliException("attention: --m is the cosine stabiliser; softmax attention has none");
        }
        Path outDir = Path.of(Options.required("--out", this.outDir));

        // The headers, each checked against the others; then the memory; only then the data.
        String qName = Options.required("--q", q), kName = Options.required("--k", k), vName = Options.required("--v", v);
        Npy.Header qa = NpyInputs.header(qName);
        DataType dt = qa.floatType();
        if (dt == null || qa.shape().length != 4) {
            throw new CliException(qName + ": expected a 4-D float32 or float64 array (N, H, s, dk), got "
                    + NpyInputs.describe(qa));
        }
        long[] qs = qa.shape();
        long n = qs[0], h = qs[1], s = qs[2];
        if (Arrays.stream(qs).anyMatch(x -> x == 0)) {
            throw new CliException(qName + ": empty dimension in shape " + NpyInputs.shapeText(qs));
        }
        Npy.Header ka = NpyInputs.header(kName);
        NpyInputs.expect(kName, ka, dt, qs, "(N, H, s, dk) like --q");
        Npy.Header va = NpyInputs.header(vName);
        NpyInputs.expectFloat(vName, va, dt);
        if (va.shape().length != 4 || va.shape()[0] != n || va.shape()[1] != h || va.shape()[2] != s) {
            throw new CliException(vName + ": expected shape (N, H, s, dv) = (" + n + ", " + h + ", " + s
                    + ", dv), got " + NpyInputs.shapeText(va.shape()));
        }
        long dv = va.shape()[3];
        if (dv == 0) throw new CliException(vName + ": empty dimension in shape " + NpyInputs.shapeText(va.shape()));
        Npy.Header maskHeader = null, mHeader = null, gradHeader = null;
        if (this.mask != null) {
            maskHeader = NpyInputs.header(this.mask);
            if (!Arrays.equals(maskHeader.shape(), new long[] {n, s})) {
                throw new CliException(this.mask + ": expected shape (N, s) = (" + n + ", " + s + "), got "
                        + NpyInputs.shapeText(maskHeader.shape()));
            }
        }
        if (this.m != null) {
            mHeader = NpyInputs.header(this.m);
            if (!mHeader.isFloat() || !Arrays.equals(mHeader.shape(), new long[] {h})) {
                throw new CliException(this.m + ": expected a float array of shape (H,) = (" + h + ",), got "
                        + NpyInputs.describe(mHeader));
            }
        }
        if (gradOut != null) {
            gradHeader = NpyInputs.header(gradOut);
            NpyInputs.expect(gradOut, gradHeader, dt, new long[] {n, h, s, dv}, "(N, H, s, dv), the shape of the output");
        }

        if (auto) entry = AttentionRegistry.fastest(kind, causal, dt);
        if (entry.gpu() && dt != DataType.FLOAT) {
            throw new CliException("attention: --impl " + entry.name() + " computes in float32, but " + qName + " is "
                    + "float64; convert the inputs or use a CPU implementation (--list)");
        }
        Attention attention;
        try {
            attention = entry.create(causal, chunk);
        } catch (CudaUnavailableException e) {
            throw new CliException("attention: " + e.getMessage());
        }
        AttentionShape shape = new AttentionShape(n, h, s, qs[3], dv, dt);
        MemoryBudget.require("attention", "--impl " + entry.name() + " on q " + NpyInputs.shapeText(qs)
                + (gradOut == null ? "" : " with --grad-out"), memory(attention, shape, gradOut != null),
                memoryFix(entry.name(), chunk, s));
        Options.canCreate("--out", outDir);

        // The data: finite values, a 0/1 mask.
        double[] maskValues = maskHeader == null ? null : NpyInputs.read(this.mask).values();
        if (maskValues != null) {
            for (int i = 0; i < maskValues.length; i++) {
                double p = maskValues[i];
                if (p != 0 && p != 1) {
                    throw new CliException(this.mask + ": mask values must be 0 or 1 (1 = real token), got " + p
                            + " at (" + i / s + ", " + i % s + ")");
                }
            }
        }
        Npy.Array qv = NpyInputs.read(qName), kv = NpyInputs.read(kName), vv = NpyInputs.read(vName);
        Npy.Array mv = mHeader == null ? null : NpyInputs.read(this.m);
        Npy.Array gv = gradHeader == null ? null : NpyInputs.read(gradOut);
        INDArray mask = maskValues == null ? null : Npy.toNd(maskValues, maskHeader.shape(), dt);
        INDArray m = mv == null ? null : mv.toNd(dt).reshape(h);
        INDArray grad = gv == null ? null : gv.toNd(dt);
        AttentionInput in = new AttentionInput(qv.toNd(dt), kv.toNd(dt), vv.toNd(dt), mask, m);
        long t0 = System.nanoTime();
        Attention.Forward fwd = attention.forward(in);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("o.npy", Npy.encode(fwd.output()));
        if (grad != null) {
            AttentionGradients g = attention.backward(fwd, grad);
            files.put("dq.npy", Npy.encode(g.dq()));
            files.put("dk.npy", Npy.encode(g.dk()));
            files.put("dv.npy", Npy.encode(g.dv()));
            if (g.dm() != null) files.put("dm.npy", Npy.encode(g.dm()));
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        try {
            AtomicFiles.writeAll(outDir, files);
        } catch (IOException e) {
            throw new CliException(outDir + ": cannot write outputs (" + e.getMessage() + "); nothing was written");
        }
        out.printf("attention: %s %s %s, q %s, v %s%s: %s in %.1f ms (forward%s, one call, includes JIT warm-up)%n",
                entry.name(), mode, dt == DataType.FLOAT ? "float32" : "float64", NpyInputs.shapeText(qs),
                NpyInputs.shapeText(va.shape()), mask == null ? "" : ", masked",
                files.keySet().stream().map(f -> outDir.resolve(f).toString()).collect(Collectors.joining(" ")),
                ms, grad == null ? "" : "+backward");
        return 0;
    }

    /**
     * Native bytes of the whole command: the inputs as ND4J arrays (read as float64, then cast), the attention's own
     * working memory, and each output's float64 copy for the .npy writer.
     */
    static long memory(Attention attention, AttentionShape shape, boolean backward) {
        long inputs = shape.inputBytes() + (backward ? shape.bytes(shape.batchHeads(), shape.length(), shape.valueDim()) : 0);
        long asRead = AttentionShape.times(inputs, 8 + shape.elementBytes(), 1) / shape.elementBytes();
        long outputs = AttentionShape.doubles(shape.batchHeads(), shape.length(),
                backward ? 2 * shape.keyDim() + 2 * shape.valueDim() : shape.valueDim());
        return AttentionShape.sum(asRead, attention.workingBytes(shape, backward), outputs);
    }

    private static String memoryFix(String impl, int chunk, long s) {
        if (impl.equals(ChunkedCausalCosineAttention.NAME) && chunk > s) {
            return "a --chunk C costs C x C per head even when C > s; use a --chunk near s or below (default "
                    + ChunkedCausalCosineAttention.DEFAULT_CHUNK + ")";
        }
        return "use shorter sequences, fewer heads or a smaller batch, a linear-memory --impl (cosine-chunked, "
                + "cosine-linear), or a machine with more memory";
    }

    static String listing() {
        StringBuilder sb = new StringBuilder("implementations (--impl NAME):\n");
        for (AttentionRegistry.Entry e : AttentionRegistry.all()) {
            String modes = (e.bidirectional() ? "bidirectional" : "") + (e.bidirectional() && e.causal() ? "+" : "")
                    + (e.causal() ? "causal" : "");
            String def = e.defaultFor().isEmpty() ? "" : "  [default: " + String.join(", ", e.defaultFor()) + "]";
            sb.append(String.format("  %-22s %-8s %-20s %s%s%n", e.name(), e.kind().label(), modes, e.description(), def));
        }
        return sb.toString();
    }
}
