package org.cottention.harness;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.cottention.harness.CliException;
import org.cottention.harness.cli.AttentionCommand;
import org.cottention.harness.cli.BenchCommand;
import org.cottention.harness.cli.CheckResultsCommand;
import org.cottention.harness.cli.DataCommand;
import org.cottention.harness.cli.ExperimentRunCommand;
import org.cottention.harness.cli.PlotsCommand;
import org.cottention.harness.cli.ReproduceCommand;
import org.cottention.harness.cli.TrainCommand;
import org.cottention.harness.gpu.GpuCheck;

/**
 * {@code ./cottention COMMAND ...}: the suite's command line. User errors print one line and exit with 2.
 */
public final class Main {
    private Main() {}

    /** A subcommand: runs with the arguments after its name, returns the exit code. */
    @FunctionalInterface
    public interface Command {
        int run(String[] args, PrintStream out) throws Exception;
    }

    private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();
    private static final Map<String, String> SUMMARIES = new LinkedHashMap<>();

    static {
        register("attention", "one attention call on .npy files (outputs and gradients)", AttentionCommand::run);
        register("bench", "JMH benchmarks of every attention implementation; --gate: the CI speed gate", BenchCommand::run);
        register("reproduce", "the experiments (what ./reproduce.sh runs): tables, plots, README", ReproduceCommand::run);
        register("experiment-run", "one configuration of one experiment (the reproduce runner starts these)",
                ExperimentRunCommand::run);
        register("plots", "redraws a reproduction's figures (PNG + SVG) from its tables, without rerunning", PlotsCommand::run);
        register("check-results", "checks a reproduction's CSV tables against their schemas", CheckResultsCommand::run);
        register("data", "data sets, splits and tokenizers: 'data stats' counts them", DataCommand::run);
        register("gpu-check", "validate and time the CUDA kernels on this machine's GPU (see docs/cuda.md)", GpuCheck::run);
        register("train", "train a small BERT (MLM) or GPT-J (causal LM) with cosine or softmax attention", TrainCommand::run);
    }

    private static void register(String name, String summary, Command command) {
        COMMANDS.put(name, command);
        SUMMARIES.put(name, summary);
    }

    public static void main(String[] argv) {
        System.exit(run(argv, System.out, System.err));
    }

    /** Runs a command line and returns its exit code (the launcher and the tests call this). */
    public static int run(String[] argv, PrintStream out, PrintStream err) {
        if (argv.length == 0 || argv[0].equals("help") || argv[0].equals("--help") || argv[0].equals("-h")) {
            out.print(usage());
            return argv.length == 0 ? CliException.USAGE : 0;
        }
        Command c = COMMANDS.get(argv[0]);
        if (c == null) {
            err.println("cottention: unknown command '" + argv[0] + "'; commands: " + String.join(", ", COMMANDS.keySet()));
            return CliException.USAGE;
        }
        try {
            return c.run(Arrays.copyOfRange(argv, 1, argv.length), out);
        } catch (CliException e) {
            err.println("cottention " + e.getMessage());
            return e.exitCode();
        } catch (Exception e) {
            err.println("cottention " + argv[0] + ": failed: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }

    static String usage() {
        StringBuilder sb = new StringBuilder("usage: ./cottention COMMAND [--help] ...\n\ncommands:\n");
        SUMMARIES.forEach((name, summary) -> sb.append(String.format("  %-12s %s%n", name, summary)));
        return sb.toString();
    }
}
