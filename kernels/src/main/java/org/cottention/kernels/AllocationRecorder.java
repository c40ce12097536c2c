package org.cottention.kernels;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.MemoryKind;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.memory.pointers.PagedPointer;
import org.nd4j.linalg.cpu.nativecpu.workspace.CpuWorkspace;

/**
 * An ND4J workspace that records the array allocations made while it is open: per opening, the largest single
 * allocation, the total bytes and the count. Every INDArray created through Nd4j on the opening thread (the
 * results of ops included) while it is current goes through {@link #alloc}. Its configuration is the one
 * backend-notes.md measured to keep memory flat (allocate what the first cycle used, memory reused every
 * cycle, plus {@link #OVERALLOCATION}), so the figures do not depend on when the garbage collector runs.
 */
public final class AllocationRecorder extends CpuWorkspace {
    /**
     * What the workspace reserves beyond the cycle it learned (ND4J's default, set here explicitly): the process
     * needs (1 + this) x what an operation allocates. Without it (0), a cycle that allocates a little more than
     * the first one spills outside the workspace, and the bidirectional cosine benchmark ran 1.5x slower (CI gate,
     * 2026-12-01); with it, softmax at s = 16384 (16,448 MiB allocated) peaks at 23.3 GiB of RSS against 19.0
     * without: callers that check memory before running count it (AttentionScalingExperiment).
     */
    public static final double OVERALLOCATION = 0.3;

    private long largest, total, count;

    public AllocationRecorder(String id) {
        super(WorkspaceConfiguration.builder()
                .initialSize(0)
                .policyAllocation(AllocationPolicy.OVERALLOCATE)
                .overallocationLimit(OVERALLOCATION)
                .policyLearning(LearningPolicy.FIRST_LOOP)
                .policyReset(ResetPolicy.BLOCK_LEFT)
                .policySpill(SpillPolicy.REALLOCATE)
                .build(), id);
    }

    /** Makes this workspace current and restarts the counters; close() leaves it. */
    public AllocationRecorder open() {
        largest = 0;
        total = 0;
        count = 0;
        notifyScopeEntered();
        return this;
    }

    @Override
    public PagedPointer alloc(long requiredMemory, MemoryKind kind, DataType type, boolean initialize) {
        largest = Math.max(largest, requiredMemory);
        total += requiredMemory;
        count++;
        return super.alloc(requiredMemory, kind, type, initialize);
    }

    /** Bytes of the largest allocation since open(). */
    public long largestBytes() {
        return largest;
    }

    /** Bytes allocated since open(). */
    public long totalBytes() {
        return total;
    }

    public long allocations() {
        return count;
    }
}
