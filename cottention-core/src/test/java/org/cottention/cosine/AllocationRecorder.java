package org.cottention.cosine;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.MemoryKind;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.memory.pointers.PagedPointer;
import org.nd4j.linalg.cpu.nativecpu.workspace.CpuWorkspace;

/**
 * An ND4J workspace that records every array allocation made while it is open: the largest single allocation
 * and the total, in bytes. Every INDArray created through Nd4j (including the results of ops) while the
 * workspace is current is allocated through {@link #alloc}.
 */
final class AllocationRecorder extends CpuWorkspace {
    private long largest, total, count;

    AllocationRecorder() {
        super(WorkspaceConfiguration.builder()
                .initialSize(0)
                .policyAllocation(AllocationPolicy.STRICT)
                .policyLearning(LearningPolicy.NONE)
                .policySpill(SpillPolicy.EXTERNAL)
                .build(), "allocation-recorder");
    }

    /** Makes this workspace current; close() leaves it. */
    AllocationRecorder open() {
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

    long largestBytes() {
        return largest;
    }

    long totalBytes() {
        return total;
    }

    long allocations() {
        return count;
    }
}
