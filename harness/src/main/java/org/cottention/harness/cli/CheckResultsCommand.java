package org.cottention.harness.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.cottention.harness.CliException;
import org.cottention.harness.experiment.ResultsCheck;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./cottention check-results --dir DIR [--compare OTHER]}: checks a reproduction's CSV tables against their
 * schemas; with --compare, also that OTHER's tables hold the same rows and results (CI: a Slurm run against the
 * local one).
 */
@Command(name = "check-results", description = "checks a reproduction's CSV tables against their schemas",
        footerHeading = "%n",
        footer = "Checks every table in DIR against its schema: columns, types (numbers, enumerations, status), values"
                + " a finished row needs (no NaN or empty measurement), row counts per configuration. --compare OTHER:"
                + " OTHER's tables must have the same rows and equal values in every column that is not a timing,"
                + " memory or provenance column (e.g. a Slurm run of the same profile).",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every table passes (and agrees with OTHER)", "1:problems, one line each",
            "2:bad input: one line on stderr naming it and the fix"})
public final class CheckResultsCommand implements Callable<Integer> {
    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "a reproduction's folder, e.g. results/smoke")
    Path dir;
    @Option(names = "--compare", paramLabel = "OTHER", description = "a second reproduction of the same profile")
    Path compare;

    private final PrintStream out;

    public CheckResultsCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() throws Exception {
        folder("--dir", dir);
        if (compare != null) folder("--compare", compare);
        List<String> problems = new ArrayList<>(ResultsCheck.check(dir));
        if (compare != null) {
            problems.addAll(ResultsCheck.check(compare));
            problems.addAll(ResultsCheck.compare(dir, compare));
        }
        problems.forEach(p -> out.println("check-results: " + p));
        out.println(problems.isEmpty() ? "check-results: all tables pass" + (compare != null ? " and agree" : "")
                : "check-results: " + problems.size() + " problem(s)");
        return problems.isEmpty() ? 0 : 1;
    }

    private static void folder(String flag, Path p) {
        if (!Files.isDirectory(p)) {
            throw new CliException("check-results: " + flag + " " + p + ": no such folder (a reproduction's output, "
                    + "e.g. results/smoke)");
        }
    }
}
