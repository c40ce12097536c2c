package org.cottention.models;

import java.util.Map;

/**
 * The loss of one batch.
 *
 * @param value   the training objective (BERT pre-training: MLM + NSP)
 * @param main    the main task's loss: mean cross-entropy over its predictions (LM or MLM tokens, or sequences)
 * @param count   the main task's predictions in the batch
 * @param correct of those, how many had the label as argmax
 * @param parts   the objective's terms by name ("lm", "mlm", "nsp", "cls"), each a mean over its own predictions
 */
public record Loss(double value, double main, long count, long correct, Map<String, Double> parts) {
    public Loss {
        parts = Map.copyOf(parts);
    }
}
