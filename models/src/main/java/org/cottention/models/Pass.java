package org.cottention.models;

/**
 * One forward (and backward) pass: whether dropout is on, and where its masks come from. Every dropout site
 * takes the next seed of a counter-based stream derived from the pass seed, so a pass is a deterministic function
 * of (parameters, batch, seed); a training run derives the pass seed from (run seed, micro-batch index), which
 * makes a resumed run draw exactly the masks the uninterrupted one would have drawn.
 */
public final class Pass {
    private final boolean training;
    private final long seed;
    private long site;

    private Pass(boolean training, long seed) {
        this.training = training;
        this.seed = seed;
    }

    /** Dropout on, masks drawn from the given seed. */
    public static Pass training(long seed) {
        return new Pass(true, seed);
    }

    /** Dropout off (evaluation, generation, gradient checks of the deterministic model). */
    public static Pass evaluation() {
        return new Pass(false, 0);
    }

    public boolean training() {
        return training;
    }

    /** The seed for the next dropout site in this pass. */
    long nextSeed() {
        return Parameters.mix(seed, "dropout#" + site++);
    }

    /** The pass seed for micro-batch {@code index} of a run seeded with {@code runSeed}. */
    public static long seedFor(long runSeed, long index) {
        return Parameters.mix(runSeed, "pass#" + index);
    }
}
