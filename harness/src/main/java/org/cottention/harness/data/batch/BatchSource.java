package org.cottention.harness.data.batch;

/**
 * Training batches by index: batch(i) is a deterministic function of the source's seed and i, so "the data
 * position" of a run is just the index of the next batch, and a resumed run continues with the same batches.
 */
@FunctionalInterface
public interface BatchSource<B> {
    B batch(long index);
}
