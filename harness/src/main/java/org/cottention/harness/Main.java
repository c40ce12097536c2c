package org.cottention.harness;

import java.io.PrintStream;
import java.util.concurrent.Callable;
import org.cottention.harness.cli.AttentionCommand;
import org.cottention.harness.cli.BenchCommand;
import org.cottention.harness.cli.CheckResultsCommand;
import org.cottention.harness.cli.DataCommand;
import org.cottention.harness.cli.ExperimentRunCommand;
import org.cottention.harness.cli.PlotsCommand;
import org.cottention.harness.cli.ReproduceCommand;
import org.cottention.harness.cli.TrainCommand;
import org.cottention.harness.gpu.GpuCheck;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code ./cottention COMMAND ...}: the suite's command line, every command declared with picocli and run the one
 * way {@link Cli} sets up (help, exit codes, one-line errors with exit code 2).
 */
@Command(name = "cottention", customSynopsis = "./cottention COMMAND [-h] ...",
        description = "The Cottention suite: cosine vs softmax attention, the paper's experiments, benchmarks.",
        commandListHeading = "%ncommands:%n",
        footer = {"", "./cottention COMMAND --help prints a command's options; ./cottention help COMMAND too.",
            "Shell completion (bash, zsh): source <(./cottention completion)"})
public final class Main implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    private Main() {}

    public static void main(String[] argv) {
        System.exit(run(argv, System.out, System.err));
    }

    /** Runs a command line and returns its exit code (the launcher and the tests call this). */
    public static int run(String[] argv, PrintStream out, PrintStream err) {
        return Cli.execute(commandLine(out, err), argv);
    }

    /** Every command, in the order {@code ./cottention help} lists them. */
    static CommandLine commandLine(PrintStream out, PrintStream err) {
        CommandLine cl = new CommandLine(new Main());
        cl.addSubcommand("attention", new AttentionCommand(out));
        cl.addSubcommand("bench", new BenchCommand(out));
        cl.addSubcommand("reproduce", new ReproduceCommand(out));
        cl.addSubcommand("experiment-run", new ExperimentRunCommand(out));
        cl.addSubcommand("plots", new PlotsCommand(out));
        cl.addSubcommand("check-results", new CheckResultsCommand(out));
        cl.addSubcommand("data", DataCommand.commandLine(out));
        cl.addSubcommand("gpu-check", new GpuCheck(out));
        cl.addSubcommand("train", new TrainCommand(out));
        CommandLine help = new CommandLine(new CommandLine.HelpCommand());
        help.getCommandSpec().usageMessage().description("prints a command's help: ./cottention help COMMAND");
        cl.addSubcommand("help", help);
        CommandLine completion = new CommandLine(new AutoComplete.GenerateCompletion());
        completion.getCommandSpec().usageMessage().hidden(false)
                .description("prints a bash/zsh completion script: source <(./cottention completion)");
        cl.addSubcommand("completion", completion);
        return Cli.configure(cl, out, err);
    }

    /** {@code ./cottention} alone: the list of commands, and exit code 2 (a command is needed). */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return Cli.USAGE;
    }
}
