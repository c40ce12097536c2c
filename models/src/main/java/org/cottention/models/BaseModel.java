package org.cottention.models;

import org.cottention.api.Attention;

/** What every model shares: its config, attention and parameters, and train/evaluate as one forward(+backward). */
abstract class BaseModel<B extends SequenceBatch> implements Model<B> {
    protected final ModelConfig config;
    protected final Attention attention;
    protected final Parameters params;

    BaseModel(ModelConfig config, Attention attention) {
        this.config = config;
        this.attention = attention;
        this.params = new Parameters(config.dataType());
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public Attention attention() {
        return attention;
    }

    @Override
    public Parameters parameters() {
        return params;
    }

    @Override
    public long positions(B b) {
        return (long) b.batch() * b.length();
    }

    @Override
    public long realTokens(B b) {
        return BatchArrays.realTokens(b.mask(), b.batch(), b.length());
    }

    @Override
    public Loss trainStep(B batch, double gradScale, Pass pass) {
        return run(batch, pass, gradScale, true);
    }

    @Override
    public Loss evaluate(B batch) {
        return run(batch, Pass.evaluation(), 1.0, false);
    }

    /** Forward, and with backward = true the backward pass accumulating gradScale * dLoss into the gradients. */
    protected abstract Loss run(B batch, Pass pass, double gradScale, boolean backward);
}
