package org.cottention.harness.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Set;
import org.cottention.harness.Args;
import org.cottention.harness.CliException;
import org.cottention.harness.experiment.ConfigRun;
import org.cottention.harness.experiment.Experiment;
import org.cottention.harness.experiment.Experiments;
import org.cottention.harness.experiment.Profile;
import org.cottention.harness.experiment.RunConfig;

/**
 * {@code ./cottention experiment-run}: runs ONE configuration of one experiment in this JVM and writes its shard
 * (rows and completion marker). The local runner starts one of these per configuration, and each Slurm array
 * task runs one; it can be typed by hand, to rerun a single configuration. A configuration whose shard is
 * finished is not run again (unless --force).
 */
public final class ExperimentRunCommand {
    private ExperimentRunCommand() {}

    static final String USAGE = """
            usage: ./cottention experiment-run --experiment NAME --config KEY --profile P --out DIR
                                               [--backend cpu] [--jobs N] [--parent-pid PID] [--force]

              Runs one configuration and writes DIR/.runs/NAME/KEY.csv with its completion marker KEY.done.
              A finished configuration (its shard matches its marker) is skipped unless --force.
              --jobs N: how many configurations run at once beside this one (recorded in the rows; default 1).
              --parent-pid PID: exit (status 3) as soon as process PID is gone (the runner passes its own).
              experiments: %s
            """;

    public static int run(String[] argv, PrintStream out) throws Exception {
        Args a = Args.parse("experiment-run", argv, Set.of("experiment", "config", "profile", "out", "backend", "jobs",
                "parent-pid"), Set.of("force", "help"));
        if (a.has("help")) {
            out.print(USAGE.formatted(String.join(", ", Experiments.names())));
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
        String backend = a.oneOf("backend", "cpu", "cpu", "cuda");
        int jobs = a.positiveInt("jobs", 1);
        Path dir = Path.of(a.required("out"));
        if (a.has("parent-pid")) {
            long pid;
            try {
                pid = Long.parseLong(a.get("parent-pid"));
            } catch (NumberFormatException ex) {
                throw new CliException("experiment-run: --parent-pid must be a process id, got '" + a.get("parent-pid") + "'");
            }
            ConfigRun.exitWhenGone(pid, out);
        }
        return ConfigRun.run(e, config, profile, backend, dir, jobs, a.has("force"), out);
    }
}
