package org.cottention.harness.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cottention.harness.Args;
import org.cottention.harness.CliException;
import org.cottention.harness.experiment.Experiment;
import org.cottention.harness.experiment.Experiments;
import org.cottention.harness.experiment.Profile;
import org.cottention.harness.experiment.RunConfig;

/**
 * {@code ./cottention experiment-run}: runs ONE configuration of one experiment in this JVM and writes its rows
 * file. The reproduction runner starts one of these per configuration; it is not meant to be typed by hand,
 * but it can be, to rerun a single configuration.
 */
public final class ExperimentRunCommand {
    private ExperimentRunCommand() {}

    public static int run(String[] argv, PrintStream out) throws Exception {
        Args a = Args.parse("experiment-run", argv, Set.of("experiment", "config", "profile", "out", "backend"),
                Set.of("help"));
        if (a.has("help")) {
            out.println("usage: ./cottention experiment-run --experiment NAME --config KEY --profile P --out DIR "
                    + "[--backend cpu]\n  experiments: " + Experiments.names());
            return 0;
        }
        Experiment e = Experiments.find(a.required("experiment")).orElseThrow(() -> new CliException(
                "experiment-run: unknown --experiment '" + a.get("experiment") + "'; known: " + Experiments.names()));
        Profile profile;
        try {
            profile = Profile.parse(a.required("profile"));
        } catch (IllegalArgumentException ex) {
            throw new CliException("experiment-run: " + ex.getMessage());
        }
        String key = a.required("config");
        RunConfig config = e.configs(profile).stream().filter(c -> c.key().equals(key)).findFirst()
                .orElseThrow(() -> new CliException("experiment-run: " + e.name() + " has no configuration '" + key
                        + "' in profile " + profile.label()));
        Path dir = Path.of(a.required("out"));
        List<Map<String, Object>> rows = e.run(config, profile, dir, out);
        Experiments.writeRows(Experiments.rowsFile(dir, e, config), e, config, profile, a.get("backend", "cpu"), rows);
        return 0;
    }
}
