package org.cottention.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.cottention.api.Attention;
import org.cottention.api.AttentionInput;
import org.cottention.api.AttentionShape;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Holds an attention's {@link Attention#workingBytes} to what its forward (+ backward) really allocates, as an
 * {@link AllocationRecorder} counts it: at least the measured bytes, at most twice them plus {@link #SLACK}.
 */
public final class WorkingBytes {
    private WorkingBytes() {}

    /** Per call: ND4J's small arrays (shape info, scalars) and alignment. */
    public static final long SLACK = 64 * 1024;

    /** Checks forward alone and forward + backward (g = dL/dO); returns the measured forward + backward bytes. */
    public static long check(String label, Attention attention, AttentionInput in, INDArray g) {
        AttentionShape shape = AttentionShape.of(in);
        long forward, both;
        AllocationRecorder first = new AllocationRecorder("working-bytes-forward");
        try (AllocationRecorder rec = first.open()) {
            attention.forward(in);
            forward = rec.totalBytes();
        }
        first.destroyWorkspace(true);
        AllocationRecorder second = new AllocationRecorder("working-bytes-backward");
        try (AllocationRecorder rec = second.open()) {
            attention.backward(attention.forward(in), g);
            both = rec.totalBytes();
        }
        second.destroyWorkspace(true);
        assertWithin(label + " forward", attention.workingBytes(shape, false), forward);
        assertWithin(label + " forward+backward", attention.workingBytes(shape, true), both);
        return both;
    }

    public static void assertWithin(String label, long estimate, long measured) {
        System.out.printf("%s: estimate %d B, allocated %d B (%.2fx)%n", label, estimate, measured,
                measured == 0 ? Double.NaN : (double) estimate / measured);
        assertTrue(estimate >= measured, label + ": estimate " + estimate + " B < allocated " + measured + " B");
        assertTrue(estimate <= 2 * measured + SLACK, label + ": estimate " + estimate + " B > 2 x allocated "
                + measured + " B + " + SLACK);
    }
}
