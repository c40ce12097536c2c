package org.cottention.harness.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.cottention.harness.Args;
import org.cottention.harness.experiment.ResultsCheck;

/** {@code ./cottention check-results --dir DIR}: checks a reproduction's CSV tables against their schemas. */
public final class CheckResultsCommand {
    private CheckResultsCommand() {}

    public static int run(String[] argv, PrintStream out) throws IOException {
        Args a = Args.parse("check-results", argv, Set.of("dir"), Set.of("help"));
        if (a.has("help")) {
            out.println("usage: ./cottention check-results --dir DIR   (e.g. results/smoke)");
            return 0;
        }
        List<String> problems = ResultsCheck.check(Path.of(a.required("dir")));
        problems.forEach(p -> out.println("check-results: " + p));
        out.println(problems.isEmpty() ? "check-results: all tables pass" : "check-results: " + problems.size() + " problem(s)");
        return problems.isEmpty() ? 0 : 1;
    }
}
