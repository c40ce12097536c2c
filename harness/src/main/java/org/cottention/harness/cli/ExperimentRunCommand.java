package org.cottention.harness.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.cottention.harness.CliException;
import org.cottention.harness.Options;
import org.cottention.harness.experiment.ConfigRun;
import org.cottention.harness.experiment.Experiment;
import org.cottention.harness.experiment.Experiments;
import org.cottention.harness.experiment.Profile;
import org.cottention.harness.experiment.RunConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./cottention experiment-run}: runs ONE configuration of one experiment in this JVM and writes its shard
 * (rows and completion marker). The local runner starts one of these per configuration, and each Slurm array
 * task runs one; it can be typed by hand, to rerun a single configuration. A configuration whose shard is
 * finished is not run again (unless --force).
 */
@Command(name = "experiment-run", description = "one configuration of one experiment (the reproduce runner starts these)",
        footerHeading = "%n",
        footer = "Runs one configuration and writes DIR/.runs/NAME/KEY.csv with its completion marker KEY.done. A"
                + " finished configuration (its shard matches its marker) is skipped unless --force. The keys of a"
                + " profile: ./cottention reproduce --list names the experiments; DIR/.runs/NAME/ holds their shards.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done (or already finished)", "2:bad input: one line on stderr naming it and the fix",
            "3:the parent process (--parent-pid) is gone; the configuration stopped unfinished",
            "1:the configuration failed, or a bug (a stack trace on stderr)"})
public final class ExperimentRunCommand implements Callable<Integer> {
    @Option(names = "--experiment", required = true, paramLabel = "NAME", description = "attention_scaling, decoding, "
            + "bert, gpt, ...")
    String experiment;
    @Option(names = "--config", required = true, paramLabel = "KEY", description = "the configuration's key")
    String key;
    @Option(names = "--profile", required = true, paramLabel = "P", description = "smoke, default, long or paper")
    String profileName;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the results folder")
    Path dir;
    @Option(names = "--backend", paramLabel = "B", description = "cpu (default) or cuda")
    String backend = "cpu";
    @Option(names = "--jobs", paramLabel = "N", description = "how many configurations run at once beside this one "
            + "(recorded in the rows; default 1)")
    Integer jobs;
    @Option(names = "--parent-pid", paramLabel = "PID", description = "exit (status 3) as soon as process PID is gone "
            + "(the runner passes its own)")
    Long parentPid;
    @Option(names = "--force", description = "run it even when its shard is finished")
    boolean force;

    private final PrintStream out;

    public ExperimentRunCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() throws Exception {
        Experiment e = Experiments.find(experiment).orElseThrow(() -> new CliException(
                "experiment-run: unknown --experiment '" + experiment + "'; known: " + Experiments.names()));
        Profile profile;
        try {
            profile = Profile.parse(profileName);
        } catch (IllegalArgumentException ex) {
            throw new CliException("experiment-run: " + ex.getMessage());
        }
        RunConfig config = e.configs(profile).stream().filter(c -> c.key().equals(key)).findFirst()
                .orElseThrow(() -> new CliException("experiment-run: " + e.name() + " has no configuration '" + key
                        + "' in profile " + profile.label()));
        if (!backend.equals("cpu") && !backend.equals("cuda")) {
            throw new CliException("experiment-run: --backend must be cpu or cuda, got '" + backend + "'");
        }
        int n = Options.positive("--jobs", jobs, 1);
        if (parentPid != null) ConfigRun.exitWhenGone(parentPid, out);
        return ConfigRun.run(e, config, profile, backend, dir, n, force, out);
    }
}
