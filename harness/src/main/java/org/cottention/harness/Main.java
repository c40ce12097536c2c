package org.cottention.harness;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.cottention.harness.cli.AttentionCommand;
import org.cottention.harness.cli.CliException;
import org.cottention.harness.train.TrainCommand;

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
