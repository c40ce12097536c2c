package org.cottention.harness.attention;

import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.cottention.api.Attention;
import org.cottention.api.AttentionKind;
import org.cottention.cosine.BidirectionalCosineAttention;
import org.cottention.cosine.ChunkedCausalCosineAttention;
import org.cottention.cosine.QuadraticCosineAttention;
import org.cottention.softmax.SoftmaxAttention;

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
     */
    public record Entry(String name, AttentionKind kind, boolean bidirectional, boolean causal,
                        List<String> defaultFor, String description, Factory factory) {
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
                    "ND4J, Nrm(Q)(Nrm(K)^T V): a dk x dv state per head; quadratic order when s < dk, as the reference code",
                    (causal, chunk) -> new BidirectionalCosineAttention()),
            new Entry(ChunkedCausalCosineAttention.NAME, AttentionKind.COSINE, false, true, List.of("causal"),
                    "ND4J, chunked: masked (Q K^T) V within chunks of --chunk C tokens + prefix of chunk states K^T V",
                    (causal, chunk) -> new ChunkedCausalCosineAttention(chunk)),
            new Entry(QuadraticCosineAttention.NAME, AttentionKind.COSINE, true, true, List.of(),
                    "ND4J, (Nrm(Q) Nrm(K)^T [masked]) V: materialises s x s per head",
                    (causal, chunk) -> new QuadraticCosineAttention(causal)),
            new Entry("cosine-reference", AttentionKind.COSINE, true, true, List.of(),
                    "the double-precision oracle (plain loops, quadratic; slow)",
                    (causal, chunk) -> new ReferenceAttention(AttentionKind.COSINE, causal)),
            new Entry(SoftmaxAttention.NAME, AttentionKind.SOFTMAX, true, true, List.of("bidirectional", "causal"),
                    "ND4J, softmax(Q K^T / sqrt(dk)) V with the s x s probabilities materialised (the paper's baseline)",
                    (causal, chunk) -> new SoftmaxAttention(causal)),
            new Entry("softmax-reference", AttentionKind.SOFTMAX, true, true, List.of(),
                    "the double-precision oracle (plain loops, quadratic; slow)",
                    (causal, chunk) -> new ReferenceAttention(AttentionKind.SOFTMAX, causal)));

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

    public static String names() {
        return ENTRIES.stream().map(Entry::name).collect(Collectors.joining(", "));
    }

    static String mode(boolean causal) {
        return causal ? "causal" : "bidirectional";
    }
}
