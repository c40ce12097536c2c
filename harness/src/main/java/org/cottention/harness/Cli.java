package org.cottention.harness;

import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Option;
import picocli.CommandLine.OverwrittenOptionException;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The one way every command of the suite declares its options, parses them and prints its help: picocli, set up
 * here once. A command is a {@code @Command} class implementing {@code Callable<Integer>} with {@code @Option}
 * fields; {@link #configure} gives it, and every subcommand, {@code -h/--help}, the exit-code section of the help,
 * "did you mean --xyz?" for a mistyped flag, and the error contract: a bad input (a picocli parse error or a
 * {@link CliException}) is ONE line on stderr, {@code cottention <command>: <what>}, and exit code 2; any other
 * exception is a bug: its stack trace and exit code 1.
 */
public final class Cli {
    private Cli() {}

    public static final int OK = 0, BUG = 1, USAGE = CliException.USAGE;

    /** The exit codes every command documents in its help (a command may declare its own list instead). */
    static final Map<String, String> EXIT_CODES = exitCodes();

    private static Map<String, String> exitCodes() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("0", "done");
        m.put("2", "bad input (a flag, a value, a file, too big for this machine): one line on stderr names it "
                + "and the fix; nothing is written");
        m.put("1", "a bug: the stack trace is on stderr (please report it)");
        return m;
    }

    /** {@code -h/--help}, added to every command that does not declare its own. */
    static final class HelpOption {
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Print this help and exit.")
        boolean help;
    }

    /**
     * Sets up a command line the one way (call it once its subcommands are added): help and results go to
     * {@code out}, errors to {@code err}; every command of the tree gets -h/--help and the exit-code section.
     */
    public static CommandLine configure(CommandLine cl, PrintStream out, PrintStream err) {
        configureTree(cl);
        cl.setOut(new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true));
        cl.setErr(new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true));
        cl.setUsageHelpWidth(100);
        cl.setAbbreviatedOptionsAllowed(false);
        cl.setParameterExceptionHandler(Cli::badInput);
        cl.setExecutionExceptionHandler((ex, c, parsed) -> failed(ex, c));
        cl.setExecutionStrategy(parsed -> {
            rejectRepeats(parsed);
            return new CommandLine.RunLast().execute(parsed);
        });
        return cl;
    }

    /** Adds -h/--help and the exit-code section to a command and its subcommands. */
    private static void configureTree(CommandLine cl) {
        CommandSpec spec = cl.getCommandSpec();
        if (spec.findOption("--help") == null) {
            spec.addMixin("help", CommandSpec.forAnnotatedObject(new HelpOption()));
        }
        if (spec.usageMessage().exitCodeList().isEmpty()) {
            spec.usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(EXIT_CODES);
        }
        spec.usageMessage().sortOptions(false).synopsisHeading("usage: ").descriptionHeading("%n")
                .optionListHeading("%noptions:%n");
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (sub.getParent() == cl) configureTree(sub);
        }
    }

    /** Runs a configured command line; the exit code (0 done, 2 bad input, 1 a bug, or the command's own). */
    public static int execute(CommandLine cl, String... argv) {
        int code = cl.execute(argv);
        cl.getOut().flush();
        cl.getErr().flush();
        return code;
    }

    private static int badInput(ParameterException ex, String[] args) {
        CommandLine c = ex.getCommandLine();
        String path = path(c);
        String line = (path.isEmpty() ? "cottention" : "cottention " + path) + ": " + describe(ex, c)
                + " (see ./cottention " + (path.isEmpty() ? "help" : path + " --help") + ")";
        c.getErr().println(line);
        c.getErr().flush();
        return USAGE;
    }

    private static int failed(Exception ex, CommandLine c) {
        String path = path(c);
        PrintWriter err = c.getErr();
        if (ex instanceof CliException e) {
            err.println("cottention " + prefixed(path, e.getMessage()));
            err.flush();
            return e.exitCode();
        }
        err.println("cottention " + (path.isEmpty() ? "" : path + ": ") + "failed: " + ex);
        ex.printStackTrace(err);
        err.flush();
        return BUG;
    }

    /** A CliException's message names its command already ("train: ...") or gets it ("q.npy: ..."). */
    static String prefixed(String path, String message) {
        if (path.isEmpty()) return message;
        String top = path.split(" ")[0];
        return message.startsWith(top + ":") || message.startsWith(top + " ") ? message : path + ": " + message;
    }

    /** "attention", "data stats"; "" for ./cottention itself; a command run on its own (gpu-check) by its name. */
    private static String path(CommandLine c) {
        List<String> names = new ArrayList<>();
        for (CommandLine x = c; x != null; x = x.getParent()) names.add(0, x.getCommandName());
        if (names.get(0).equals("cottention")) names.remove(0);
        return String.join(" ", names);
    }

    private static String describe(ParameterException ex, CommandLine c) {
        if (ex instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String first = u.getUnmatched().get(0);
            String typed = first.contains("=") ? first.substring(0, first.indexOf('=')) : first;
            boolean flag = typed.startsWith("-");
            if (!flag && c.getSubcommands().isEmpty()) return "unexpected argument '" + first + "'; flags start with --";
            List<String> candidates = new ArrayList<>();
            if (flag) {
                for (OptionSpec o : c.getCommandSpec().options()) candidates.addAll(List.of(o.names()));
            } else {
                candidates.addAll(visibleSubcommands(c));
            }
            String hint = closest(typed, candidates).map(x -> "; did you mean " + x + "?").orElse("");
            if (flag) return "unknown flag " + typed + hint;
            return "unknown command '" + first + "'" + (hint.isEmpty() ? ";" : hint) + " commands: "
                    + String.join(", ", visibleSubcommands(c));
        }
        if (ex instanceof MissingParameterException m && !m.getMissing().isEmpty()) {
            List<String> names = new ArrayList<>();
            for (ArgSpec a : m.getMissing()) names.add(a instanceof OptionSpec o ? o.longestName() : a.paramLabel());
            boolean valueMissing = ex.getMessage().startsWith("Missing required parameter for option");
            if (valueMissing) return names.get(0) + " needs a value";
            return String.join(", ", names) + (names.size() == 1 ? " is" : " are") + " required";
        }
        if (ex instanceof OverwrittenOptionException o && o.getOverwritten() instanceof OptionSpec spec) {
            return spec.longestName() + " given twice";
        }
        String m = ex.getMessage();
        return m.isEmpty() ? m : m.substring(0, 1).toLowerCase(Locale.ROOT) + m.substring(1);
    }

    /** The candidate nearest to what was typed, if it is within about a third of its letters of it. */
    static java.util.Optional<String> closest(String typed, List<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String x : candidates) {
            int d = distance(typed, x);
            if (d < bestDistance) {
                best = x;
                bestDistance = d;
            }
        }
        return bestDistance <= Math.max(2, typed.replace("-", "").length() / 3) ? java.util.Optional.of(best)
                : java.util.Optional.empty();
    }

    /** Levenshtein distance. */
    static int distance(String typed, String suggestion) {
        int[] prev = new int[suggestion.length() + 1], cur = new int[suggestion.length() + 1];
        for (int j = 0; j <= suggestion.length(); j++) prev[j] = j;
        for (int i = 1; i <= typed.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= suggestion.length(); j++) {
                int same = typed.charAt(i - 1) == suggestion.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + same);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[suggestion.length()];
    }

    private static List<String> visibleSubcommands(CommandLine c) {
        List<String> names = new ArrayList<>();
        c.getSubcommands().forEach((name, sub) -> {
            if (!sub.getCommandSpec().usageMessage().hidden()) names.add(name);
        });
        return names;
    }

    /** picocli lets an option inside an argument group be given twice (the last wins); here that is an error. */
    private static void rejectRepeats(ParseResult parsed) {
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            CommandSpec spec = p.commandSpec();
            for (OptionSpec o : spec.options()) {
                if (o.isMultiValue() || o.usageHelp() || o.versionHelp()) continue;
                if (p.matchedOption(o.longestName()) == null) continue;
                int seen = 0;
                for (String arg : p.originalArgs()) {
                    for (String name : o.names()) {
                        if (arg.equals(name) || arg.startsWith(name + "=")) seen++;
                    }
                }
                if (seen > 1) {
                    throw new ParameterException(p.commandSpec().commandLine(), o.longestName() + " given twice");
                }
            }
        }
    }
}
