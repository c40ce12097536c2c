package org.cottention.harness.train;

import org.cottention.kernels.FusedLayers;
import org.cottention.models.Parameters;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * AdamW as torch.optim.AdamW (the reference's optimiser), on the flat parameter buffers:
 * <pre>
 *   p -= lr * wd * p                                  (decoupled decay; all parameters, or weights only)
 *   m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2
 *   p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * </pre>
 * The moments live in two flat buffers beside the parameters (allocated once, outside any workspace).
 */
public final class AdamW {

    /** Which parameters weight decay applies to. */
    public enum DecayOn {
        /** Every parameter, biases, LayerNorm gains and m included: the reference's choice (paper-spec §8.1). */
        ALL,
        /** Weight matrices and embeddings only (the common BERT recipe). */
        WEIGHTS,
        /**
         * Every parameter but the stabilisers m: the reference's choice with one difference, so that m moves only by
         * its gradient (decay pulls m towards 0, sigma(m) towards 0.5, below its initial 0.6225: a decrease claim 4
         * would otherwise see without any gradient).
         */
        ALL_BUT_STABILISER
    }

    /** The reference's values: betas (0.9, 0.999), eps 1e-7, weight decay 0.01 on all parameters. */
    public record Config(double beta1, double beta2, double eps, double weightDecay, DecayOn decayOn) {
        public static Config reference() {
            return new Config(0.9, 0.999, 1e-7, 0.01, DecayOn.ALL);
        }

        public Config {
            if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("betas must be in [0, 1)");
            if (!(eps > 0) || !(weightDecay >= 0)) throw new IllegalArgumentException("eps must be > 0 and weight decay >= 0");
        }
    }

    private final Config config;
    private final Parameters params;
    private final INDArray m, v;
    private long t;

    public AdamW(Parameters params, Config config) {
        this.params = params;
        this.config = config;
        this.m = Nd4j.create(params.dataType(), params.count());
        this.v = Nd4j.create(params.dataType(), params.count());
    }

    public Config config() {
        return config;
    }

    /** Updates taken so far. */
    public long steps() {
        return t;
    }

    /** First moments (P); a live view for checkpoints. */
    public INDArray firstMoment() {
        return m;
    }

    /** Second moments (P); a live view for checkpoints. */
    public INDArray secondMoment() {
        return v;
    }

    /** Restores the state saved by a checkpoint. */
    public void restore(long steps, INDArray first, INDArray second) {
        if (first.length() != m.length() || second.length() != v.length()) {
            throw new IllegalArgumentException("optimiser state has " + first.length() + " entries, expected " + m.length());
        }
        m.assign(first.reshape(m.shape()));
        v.assign(second.reshape(v.shape()));
        t = steps;
    }

    /** One update with learning rate lr from the accumulated gradients (which it does not clear). */
    public void step(double lr) {
        t++;
        double c1 = 1.0 - Math.pow(config.beta1, t), c2 = 1.0 - Math.pow(config.beta2, t);
        // One fused pass over the flat buffers: decay, both moments, the update (FusedLayers.adamW's formula).
        FusedLayers.adamW(params.values(), params.grads(), m, v,
                switch (config.decayOn) {
                    case ALL -> null;
                    case WEIGHTS -> params.weightMask();
                    case ALL_BUT_STABILISER -> params.allButStabiliserMask();
                }, lr, config.beta1, config.beta2, config.eps,
                config.weightDecay, c1, c2);
    }
}
