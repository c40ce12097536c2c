package org.cottention.harness.experiment;

import java.util.Locale;

/**
 * What one experiment configuration is estimated to need: memory (MiB), wall time (minutes) and GPUs. The Slurm
 * executor requests it per task (the largest over the configurations of one array). Estimates, not
 * measurements, from the sizes the profile sets, with margins, by one formula for all experiments:
 *
 * <pre>
 *   memory  = base + 1.5 x working set                   (rounded up to 256 MiB)
 *   minutes = 5 + 3 x FLOPs / 40 GFLOP/s / 60            (rounded up)
 * </pre>
 *
 * base: {@link #JVM_MIB} for a JVM with ND4J loaded, {@link #MODEL_RUN_MIB} for a training run (its 1 GiB heap,
 * the natives, the data sets). The working set and the FLOPs are each experiment's own (its {@code resources}
 * method): the attention layer's buffers from its shapes, a model's weights, gradients and AdamW moments (16
 * bytes per parameter) plus activations, training FLOPs as 6 x parameters x tokens (Kaplan et al. 2020). 40
 * GFLOP/s is what the default profile's model runs reached on 2 cores here (results/default: GPT-J 0.86 M
 * parameters, 600 x 4096 tokens in 298-325 s), the 3x margin and 5 minutes cover start-up, data loading,
 * evaluation and slower nodes; 1.5x covers allocator slack (measured peak RSS / estimate: 1.3 for the largest
 * scaling configuration). GPUs: 0, since this build runs the experiments on the CPU; {@code --slurm-gpus}
 * requests some anyway.
 */
public record Resources(long memoryMiB, long minutes, int gpus, double flops) {
    /** A JVM with ND4J loaded and a little work done (measured baseline RSS ~110 MiB), with headroom. */
    static final long JVM_MIB = 1024;
    /** A training run's fixed part: 1 GiB heap (-Xmx1g), ND4J natives, the data (measured 1.9-3.3 GiB peak RSS at the default profile). */
    static final long MODEL_RUN_MIB = 3072;
    static final double CPU_FLOPS = 40e9, MEMORY_MARGIN = 1.5, TIME_MARGIN = 3;
    static final long MIN_MINUTES = 5;
    private static final double MIB = 1024.0 * 1024;
    /** A configuration's fixed cost in {@link #workSeconds}: a JVM start and data loading (~10 s measured here). */
    static final double START_SECONDS = 10;

    public Resources {
        if (memoryMiB <= 0 || minutes <= 0 || gpus < 0 || !(flops >= 0)) throw new IllegalArgumentException("bad resources " + memoryMiB + " MiB, " + minutes + " min, " + gpus + " GPUs");
    }

    /** The formula above: base MiB, the configuration's working set in bytes and its floating-point operations. */
    static Resources estimate(long baseMiB, double workingSetBytes, double flops) {
        long memory = (long) Math.ceil((baseMiB + MEMORY_MARGIN * workingSetBytes / MIB) / 256) * 256;
        long minutes = MIN_MINUTES + (long) Math.ceil(TIME_MARGIN * flops / CPU_FLOPS / 60);
        return new Resources(memory, minutes, 0, flops);
    }

    /**
     * The configuration's expected seconds without the margins (start-up plus FLOPs at 40 GFLOP/s): not a
     * prediction of its time, only its weight beside the others when reproduce estimates the time left.
     */
    public double workSeconds() {
        return START_SECONDS + flops / CPU_FLOPS;
    }

    /** The parameters of L transformer layers of width E and inner size I (attention 4E^2, MLP 2EI; biases left out). */
    static double layerParameters(int layers, int hidden, int intermediate) {
        return layers * (4.0 * hidden * hidden + 2.0 * hidden * intermediate);
    }

    /** Training FLOPs: 6 per parameter per token (forward 2, backward 4). */
    static double trainingFlops(double parameters, double tokens) {
        return 6 * parameters * tokens;
    }

    /** What covers both (an array whose tasks share one request). */
    public Resources max(Resources o) {
        return new Resources(Math.max(memoryMiB, o.memoryMiB), Math.max(minutes, o.minutes), Math.max(gpus, o.gpus),
                Math.max(flops, o.flops));
    }

    /** Slurm's --time: D-HH:MM:SS. */
    public String slurmTime() {
        return String.format(Locale.ROOT, "%d-%02d:%02d:00", minutes / (24 * 60), minutes / 60 % 24, minutes % 60);
    }

    /** Slurm's --mem: MiB with the M suffix. */
    public String slurmMemory() {
        return memoryMiB + "M";
    }
}
