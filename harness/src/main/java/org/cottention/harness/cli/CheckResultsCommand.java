package org.cottention.harness.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.cottention.harness.Args;
import org.cottention.harness.CliException;
import org.cottention.harness.experiment.ResultsCheck;

/**
 * {@code ./cottention check-results --dir DIR [--compare OTHER]}: checks a reproduction's CSV tables against their
 * schemas; with --compare, also that OTHER's tables hold the same rows and results (CI: a Slurm run against the
 * local one).
 */
public final class CheckResultsCommand {
    private CheckResultsCommand() {}

    static final String USAGE = """
            usage: ./cottention check-results --dir DIR [--compare OTHER]   (e.g. --dir results/smoke)

              Checks every table in DIR against its schema: columns, types (numbers, enumerations, status),
              values a finished row needs (no NaN or empty measurement), row counts per configuration.
              --compare OTHER: OTHER's tables must have the same rows and equal values in every column that is
              not a timing, memory or provenance column (e.g. a Slurm run of the same profile).
              Exit 0: all pass; 1: problems (one line each); 2: bad usage.
            """;

    public static int run(String[] argv, PrintStream out) throws IOException {
        Args a = Args.parse("check-results", argv, Set.of("dir", "compare"), Set.of("help"));
        if (a.has("help")) {
            out.print(USAGE);
            return 0;
        }
        Path dir = folder(a, "dir");
        List<String> problems = new ArrayList<>(ResultsCheck.check(dir));
        if (a.has("compare")) {
            Path other = folder(a, "compare");
            ResultsCheck.check(other).forEach(p -> problems.add(p));
            problems.addAll(ResultsCheck.compare(dir, other));
        }
        problems.forEach(p -> out.println("check-results: " + p));
        out.println(problems.isEmpty() ? "check-results: all tables pass" + (a.has("compare") ? " and agree" : "")
                : "check-results: " + problems.size() + " problem(s)");
        return problems.isEmpty() ? 0 : 1;
    }

    private static Path folder(Args a, String flag) {
        Path p = Path.of(a.required(flag));
        if (!Files.isDirectory(p)) {
            throw new CliException("check-results: --" + flag + " " + p + ": no such folder (a reproduction's output, "
                    + "e.g. results/smoke)");
        }
        return p;
    }
}
