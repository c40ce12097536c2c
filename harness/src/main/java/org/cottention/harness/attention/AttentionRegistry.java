package org.cottention.harness.attention;

import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.cottention.api.Attention;
import org.cottention.api.AttentionKind;
import org.cottention.cosine.BidirectionalCosineAttention;
import org.cottention.cosine.ChunkedCausalCosineAttention;
import org.cottention.cosine.QuadraticCosineAttention;
import org.cottention.cosine.cuda.CudaCosineAttention;
import org.cottention.cuda.CudaRuntime;
import org.cottention.cuda.CudaUnavailableException;
import org.cottention.softmax.SoftmaxAttention;
import org.cottention.softmax.cuda.CudaSoftmaxAttention;
import org.cottention.softmax.cuda.SoftmaxKernels;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Every attention implementation the suite has, by name. The CLI's {@code --impl}, the conformance tests and the
 * benchmarks all go through this list, so an implementation added here is tested and benchmarked everywhere.
 */
public final class AttentionRegistry {
    private AttentionRegistry() {}

    /** How to build one implementation for a given causality and chunk size. */
    @FunctionalInterface
    public interface Factory {
        Attention create(boolean causal, int chunk);
    }

    /**
     * @param name            registry name, as --impl takes it
     * @param kind            cosine or softmax
     * @param bidirectional   supports bidirectional attention
     * @param causal          supports causal attention
     * @param defaultFor      the fastest for its kind in these modes ("bidirectional", "causal", both or none)
     * @param description     one line for --list
     * @param gpu             runs on a CUDA GPU (float32 only); creating it without one throws
     *                        {@link CudaUnavailableException} naming the CPU implementation to use
     */
    public record Entry(String name, AttentionKind kind, boolean bidirectional, boolean causal,
                        List<String> defaultFor, String description, Factory factory, boolean gpu) {
        public boolean supports(boolean causalMode) {
            return causalMode ? causal : bidirectional;
        }

        public Attention create(boolean causalMode, int chunk) {
            if (!supports(causalMode)) {
                throw new IllegalArgumentException(name + " does not support " + mode(causalMode) + " attention");
            }
            return factory.create(causalMode, chunk);
        }
    }

    private static final List<Entry> ENTRIES = List.of(
            new Entry(BidirectionalCosineAttention.NAME, AttentionKind.COSINE, true, false, List.of("bidirectional"),
                    "CPU, Nrm(Q)(Nrm(K)^T V): a dk x dv state per head; quadratic order when s < dk, as the reference code",
                    (causal, chunk) -> new BidirectionalCosineAttention(), false),
            new Entry(ChunkedCausalCosineAttention.NAME, AttentionKind.COSINE, false, true, List.of("causal"),
                    "CPU, chunked: masked (Q K^T) V within chunks of --chunk C tokens + running state K^T V; BLAS per head",
                    (causal, chunk) -> new ChunkedCausalCosineAttention(chunk), false),
            new Entry(QuadraticCosineAttention.NAME, AttentionKind.COSINE, true, true, List.of(),
                    "CPU, (Nrm(Q) Nrm(K)^T [masked]) V: materialises s x s per head",
                    (causal, chunk) -> new QuadraticCosineAttention(causal), false),
            new Entry("cosine-reference", AttentionKind.COSINE, true, true, List.of(),
                    "the double-precision oracle (plain loops, quadratic; slow)",
                    (causal, chunk) -> ReferenceAttention.cosine(causal), false),
            new Entry(SoftmaxAttention.NAME, AttentionKind.SOFTMAX, true, true, List.of("bidirectional", "causal"),
                    "CPU, softmax(Q K^T / sqrt(dk)) V with the s x s probabilities materialised (the paper's baseline); BLAS per head",
                    (causal, chunk) -> new SoftmaxAttention(causal), false),
            new Entry("softmax-reference", AttentionKind.SOFTMAX, true, true, List.of(),
                    "the double-precision oracle (plain loops, quadratic; slow)",
                    (causal, chunk) -> ReferenceAttention.softmax(causal), false),
            new Entry(CudaCosineAttention.CAUSAL_NAME, AttentionKind.COSINE, false, true, List.of(),
                    "CUDA (JCuda), chunked causal kernels: intra-chunk tiles + prefix of chunk states; float32",
                    (causal, chunk) -> new CudaCosineAttention(true), true),
            new Entry(CudaCosineAttention.BIDIRECTIONAL_NAME, AttentionKind.COSINE, true, false, List.of(),
                    "CUDA (JCuda), Nrm(Q)(Nrm(K)^T V) from per-chunk states; float32",
                    (causal, chunk) -> new CudaCosineAttention(false), true),
            new Entry(CudaSoftmaxAttention.NAIVE_NAME, AttentionKind.SOFTMAX, true, true, List.of(),
                    "CUDA (JCuda), scores + row softmax + products over materialised s x s probabilities; float32",
                    (causal, chunk) -> new CudaSoftmaxAttention(SoftmaxKernels.Form.NAIVE, causal), true),
            new Entry(CudaSoftmaxAttention.FLASH_NAME, AttentionKind.SOFTMAX, true, true, List.of(),
                    "CUDA (JCuda), tiled online softmax (FlashAttention-2 style); float32",
                    (causal, chunk) -> new CudaSoftmaxAttention(SoftmaxKernels.Form.FLASH, causal), true));

    public static List<Entry> all() {
        return ENTRIES;
    }

    public static Optional<Entry> find(String name) {
        return ENTRIES.stream().filter(e -> e.name.equals(name)).findFirst();
    }

    /** The default (fastest) implementation of a kind for a mode. */
    public static Entry defaultFor(AttentionKind kind, boolean causal) {
        return ENTRIES.stream()
                .filter(e -> e.kind == kind && e.defaultFor.contains(mode(causal)))
                .findFirst().orElseThrow();
    }

    /**
     * The fastest implementation that runs here ("--impl auto"): the CUDA one for float32 when a GPU and its kernels
     * are there, else the CPU default, saying once on stderr why it fell back.
     */
    public static synchronized Entry fastest(AttentionKind kind, boolean causal, DataType dataType) {
        Entry cpu = defaultFor(kind, causal);
        String gpuName = kind == AttentionKind.SOFTMAX ? CudaSoftmaxAttention.FLASH_NAME
                : causal ? CudaCosineAttention.CAUSAL_NAME : CudaCosineAttention.BIDIRECTIONAL_NAME;
        Entry gpu = find(gpuName).orElseThrow();
        String reason = null;
        if (dataType != DataType.FLOAT) {
            reason = "the CUDA kernels compute in float32, the inputs are " + dataType;
        } else if (!CudaRuntime.available()) {
            reason = CudaRuntime.unavailableReason();
        } else {
            try {
                gpu.create(causal, ChunkedCausalCosineAttention.DEFAULT_CHUNK);
                return gpu;
            } catch (CudaUnavailableException e) {
                reason = e.getMessage();
            }
        }
        if (FALLBACKS_SAID.add(gpuName + reason)) {
            System.err.println("attention: " + gpuName + " not used (" + reason + "); falling back to " + cpu.name());
        }
        return cpu;
    }

    private static final java.util.Set<String> FALLBACKS_SAID = new java.util.HashSet<>();

    public static String names() {
        return ENTRIES.stream().map(Entry::name).collect(Collectors.joining(", "));
    }

    static String mode(boolean causal) {
        return causal ? "causal" : "bidirectional";
    }
}
