package org.cottention.harness.train;

/**
 * The reference's learning-rate schedule (HF get_linear_schedule_with_warmup / its LambdaLR): the factor at update
 * t = 0, 1, ... rises linearly from 0 over {@code warmup} updates, then falls linearly to 0 at {@code total}:
 * <pre>
 *   factor(t) = t / warmup                          for t < warmup
 *             = max(0, (total - t) / (total - warmup))  afterwards
 * </pre>
 * As in the reference, the very first update (t = 0) has factor 0 when warmup > 0. With decay = false the factor
 * stays 1 after warmup (a constant rate, e.g. for fine-tuning as the reference did).
 */
public record LinearSchedule(long warmup, long total, boolean decay) {
    public LinearSchedule {
        if (warmup < 0 || total <= 0) throw new IllegalArgumentException("warmup must be >= 0 and total > 0");
        if (decay && warmup >= total) throw new IllegalArgumentException("warmup " + warmup + " must be < total " + total);
    }

    public double factor(long t) {
        if (t < warmup) return (double) t / warmup;
        if (!decay) return 1.0;
        return Math.max(0.0, (double) (total - t) / (total - warmup));
    }
}
