package org.cottention.models;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.cottention.api.Nd;
import org.cottention.models.Workspaces;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Central finite differences (float64) on every parameter tensor of a model, against the gradient its backward
 * accumulated: for each tensor, up to {@code samples} entries (all of a small tensor), relative error
 * ||numeric - analytic|| / max(||numeric||, ||analytic||) over those entries. A tensor whose gradient is zero
 * by construction (softmax is invariant to a shift of all scores, so the key bias has none) has both norms at
 * round-off level; below {@link #ZERO} its error is reported as the absolute difference. Every loss evaluation
 * runs in a workspace, as training does (allocation outside one costs ~10x more here).
 */
final class GradientCheck {
    private GradientCheck() {}

    static final double STEP = 1e-5, ZERO = 1e-8;

    /** One tensor's result. */
    record Result(String name, int checked, double relativeError, double norm) {
        @Override
        public String toString() {
            return String.format("%s: %d entries, rel err %.2e (|g| %.2e)", name, checked, relativeError, norm);
        }
    }

    /**
     * @param params   the model's parameters, gradients already computed by one backward pass
     * @param loss     recomputes the loss at the current parameter values (deterministic)
     */
    static List<Result> run(Parameters params, DoubleSupplier loss, int samples, long seed) {
        double[] analytic = Nd.toDoubles(params.grads());
        INDArray values = params.values();
        Random rng = new Random(seed);
        List<Result> out = new ArrayList<>();
        for (Parameter p : params.list()) {
            int len = Math.toIntExact(p.length());
            int[] picks = len <= samples ? range(len) : rng.ints(0, len).distinct().limit(samples).toArray();
            double num2 = 0, ana2 = 0, diff2 = 0;
            for (int i : picks) {
                long at = p.offset() + i;
                double v = values.getDouble(at);
                values.putScalar(at, v + STEP);
                double plus = inWorkspace(loss);
                values.putScalar(at, v - STEP);
                double minus = inWorkspace(loss);
                values.putScalar(at, v);
                double numeric = (plus - minus) / (2 * STEP), a = analytic[(int) at];
                num2 += numeric * numeric;
                ana2 += a * a;
                diff2 += (numeric - a) * (numeric - a);
            }
            double scale = Math.sqrt(Math.max(num2, ana2));
            double rel = scale < ZERO ? Math.sqrt(diff2) : Math.sqrt(diff2) / scale;
            out.add(new Result(p.name(), picks.length, rel, scale));
        }
        return out;
    }

    static double inWorkspace(DoubleSupplier f) {
        try (MemoryWorkspace ws = Workspaces.open("gradient-check")) {
            return f.getAsDouble();
        }
    }

    private static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }
}
