package org.cottention.harness.attention;

import java.util.Locale;
import org.cottention.api.AttentionKind;
import org.cottention.models.ModelConfig.ProjectionInit;

/**
 * The choices of the paper's reference code that differ between its two attentions (paper-spec §3, §4, §11), in
 * one place, so that an experiment can reproduce them as a named arm and a fair comparison can switch them off.
 * The models never look at the attention's kind; an arm asks this table and sets the model config.
 */
public final class ReferenceRecipe {
    private ReferenceRecipe() {}

    /**
     * The projection init the reference code ends up with: its cosine modules are built after Hugging Face's init,
     * so their q, k, v (and GPT-J's out_proj) keep PyTorch's default init; the softmax baseline keeps HF's.
     */
    public static ProjectionInit projectionInit(AttentionKind kind) {
        return kind == AttentionKind.COSINE ? ProjectionInit.PYTORCH_DEFAULT : ProjectionInit.BASELINE;
    }

    /** As {@link #projectionInit(AttentionKind)} for "cosine" or "softmax". */
    public static ProjectionInit projectionInit(String kind) {
        return projectionInit(AttentionKind.valueOf(kind.toUpperCase(Locale.ROOT)));
    }
}
