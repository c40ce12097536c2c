package org.cottention.models;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J workspaces for the training loop (the configuration backend-notes.md measured flat): every array a step
 * allocates lives in a block that is reused the next time the same workspace opens, so memory does not depend on
 * the Java GC. Parameters, gradients and optimiser state are allocated outside, once.
 */
public final class Workspaces {
    private Workspaces() {}

    private static final WorkspaceConfiguration CONFIG = WorkspaceConfiguration.builder()
            .initialSize(0)
            .policyAllocation(AllocationPolicy.OVERALLOCATE)
            .policyLearning(LearningPolicy.FIRST_LOOP)
            .policyReset(ResetPolicy.BLOCK_LEFT)
            .policySpill(SpillPolicy.REALLOCATE)
            .build();

    /** Opens (activates) the named workspace; close it at the end of the step. Nothing allocated inside may outlive it. */
    public static MemoryWorkspace open(String name) {
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(CONFIG, name);
    }
}
