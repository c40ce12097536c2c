package org.cottention.harness.experiment;

import java.io.PrintStream;
import java.util.Locale;

/**
 * What the paper profile would need (paper-spec §7-§8): the models' training memory (float32 weights, gradients
 * and AdamW's two moments, 16 bytes per parameter, plus activations) and compute (6 x parameters x tokens),
 * against this machine's memory and a GEMM rate. Printed before it starts; a machine that cannot hold it is
 * refused unless --force.
 */
final class PaperProfile {
    private PaperProfile() {}

    /** name, parameters, tokens per step, steps, activation GiB per step (rough, per the reference batch). */
    private record Run(String name, double params, double tokensPerStep, double steps, double activationGiB) {}

    private static final Run[] RUNS = {
        new Run("BERT-base MLM pretraining (1M steps, batch 256 x 128)", 108.9e6, 256 * 128, 1e6, 40),
        new Run("GPT-J 300M LM pretraining (1M steps, batch 128 x 1024)", 313.1e6, 128 * 1024, 1e6, 120),
        new Run("GPT-J 1.2B LM pretraining (1M steps, batch 128 x 1024)", 1213.4e6, 128 * 1024, 1e6, 300),
    };

    /** Prints the estimates and returns whether this machine holds the largest one. */
    static boolean fits(PrintStream out) {
        double availableGiB = Memory.availableMiB() / 1024;
        double gflops = 100;  // a 2-core CPU's GEMM rate, order of magnitude (see results/bench/gemm.csv)
        boolean fits = true;
        out.println("reproduce: the paper profile needs (estimates; the paper used 8 x A100 80GB):");
        for (Run r : RUNS) {
            double memGiB = r.params * 16 / Math.pow(1024, 3) + r.activationGiB;
            double flops = 6 * r.params * r.tokensPerStep * r.steps;
            double years = flops / (gflops * 1e9) / (365.25 * 24 * 3600);
            out.printf(Locale.ROOT, "  %-58s memory ~%5.0f GiB, compute %.1e FLOP = ~%.0f years at %.0f GFLOP/s%n",
                    r.name, memGiB, flops, years, gflops);
            fits &= memGiB < availableGiB && years < 0.1;
        }
        out.printf(Locale.ROOT, "  this machine: %.1f GiB available, no GPU in use%n", availableGiB);
        return fits;
    }
}
