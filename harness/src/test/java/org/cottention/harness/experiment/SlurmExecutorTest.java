package org.cottention.harness.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cottention.harness.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Slurm executor's scripts (--dry-run): one array per experiment and dependency wave, task i = configuration i,
 * each array requesting the largest estimate over its configurations, dependencies by afterok, a report job
 * after all; and its usage errors. The real submission runs in .ci/run on a local Slurm.
 */
class SlurmExecutorTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {}

    static Run main(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true), new PrintStream(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    private static String line(String script, String option) {
        Matcher m = Pattern.compile("(?m)^#SBATCH --" + option + "=(.*)$").matcher(script);
        return m.find() ? m.group(1) : null;
    }

    @Test
    void paperDryRunRequestsEachArraysLargestEstimatePerTask() throws Exception {
        Run r = main("reproduce", "--profile", "paper", "--executor", "slurm", "--dry-run", "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("--dry-run: nothing submitted"), r.out());
        Path slurm = dir.resolve(".slurm");
        List<String> names = new ArrayList<>();
        int tasks = 0;
        for (Path script : Files.list(slurm).filter(p -> p.getFileName().toString().startsWith("array-")).sorted().toList()) {
            String text = Files.readString(script);
            Matcher cmd = Pattern.compile("experiment-run --experiment (\\S+) ").matcher(text);
            assertTrue(cmd.find(), text);
            Experiment e = Experiments.find(cmd.group(1)).orElseThrow();
            Matcher list = Pattern.compile("(?m)^configs=\\((.*)\\)$").matcher(text);
            assertTrue(list.find(), text);
            List<String> keys = Arrays.asList(list.group(1).split(" "));
            Resources expected = e.configs(Profile.PAPER).stream().filter(c -> keys.contains(c.key()))
                    .map(c -> e.resources(c, Profile.PAPER)).reduce(Resources::max).orElseThrow();
            assertEquals(expected.slurmMemory(), line(text, "mem"), script.toString());
            assertEquals(expected.slurmTime(), line(text, "time"), script.toString());
            assertEquals("0-" + (keys.size() - 1) + "%" + keys.size(), line(text, "array"), script.toString());
            assertEquals(null, line(text, "gres"), "no GPU estimate: the experiments run on the CPU");
            assertTrue(text.contains("COTTENTION_NO_BUILD=1 exec ./cottention experiment-run"), text);
            assertTrue(text.contains("--config \"${configs[$SLURM_ARRAY_TASK_ID]}\" --profile paper --out " + dir), text);
            assertEquals(Path.of(System.getProperty("cottention.root", ".")).toAbsolutePath().normalize().toString(),
                    line(text, "chdir"));
            names.add(script.getFileName().toString());
            tasks += keys.size();
        }
        int all = Experiments.all().stream().mapToInt(e -> e.configs(Profile.PAPER).size()).sum();
        assertEquals(all, tasks, "every configuration in exactly one array");
        assertEquals(List.of("array-attention_scaling-0.sbatch", "array-bert-0.sbatch", "array-bert-1.sbatch",
                "array-decoding-0.sbatch", "array-gpt-0.sbatch", "array-recall-0.sbatch", "array-recall-1.sbatch",
                "array-stabiliser-1.sbatch", "array-stability-0.sbatch"), names);
        // The fine-tuning runs (wave 1) are the second BERT array; the stabiliser reads the cosine BERT and GPT runs.
        assertTrue(Files.readString(slurm.resolve("array-bert-1.sbatch")).contains("configs=(finetune-"));
        String submit = Files.readString(slurm.resolve("submit.sh"));
        assertTrue(submit.contains("array_bert_1=\"$(submit --dependency=afterok:$array_bert_0 array-bert-1.sbatch)\""), submit);
        assertTrue(submit.contains("--dependency=afterok:$array_bert_0:$array_gpt_0 array-stabiliser-1.sbatch"), submit);
        // The recall experiment's later seeds (wave 1) train at the rate its seed-1 sweep (wave 0) chose.
        assertTrue(submit.contains("--dependency=afterok:$array_recall_0 array-recall-1.sbatch"), submit);
        assertTrue(submit.contains("report=\"$(submit --dependency=afterok:$array_attention_scaling_0:$array_decoding_0:"
                + "$array_bert_0:$array_bert_1:$array_gpt_0:$array_stability_0:$array_stabiliser_1:$array_recall_0:$array_recall_1 "
                + "report.sbatch)\""), submit);
        String report = Files.readString(slurm.resolve("report.sbatch"));
        assertTrue(report.contains("./cottention reproduce --report-only --profile paper --out " + dir
                + " --only attention_scaling,decoding,bert,gpt,stability,stabiliser,recall"), report);
        assertTrue(Files.isDirectory(slurm.resolve("logs")), "Slurm does not create the --output folder");
    }

    @Test
    void overridesAndLimitsGoIntoEveryArray() throws Exception {
        Run r = main("reproduce", "--profile", "smoke", "--only", "gpt", "--executor", "slurm", "--dry-run", "--out",
                dir.toString(), "--slurm-mem", "8G", "--slurm-time", "2:00:00", "--slurm-gpus", "1", "--slurm-cpus", "4",
                "--slurm-limit", "2", "--slurm-partition", "gpu", "--slurm-extra=--account=abc --qos=high");
        assertEquals(0, r.code(), r.err());
        String text = Files.readString(dir.resolve(".slurm/array-gpt-0.sbatch"));
        long firstWave = new GptExperiment().configs(Profile.SMOKE).stream().filter(c -> c.after().isEmpty()).count();
        for (String[] want : new String[][] {{"mem", "8G"}, {"time", "2:00:00"}, {"gres", "gpu:1"}, {"cpus-per-task", "4"},
                {"array", "0-" + (firstWave - 1) + "%2"}, {"partition", "gpu"}, {"account", "abc"}, {"qos", "high"}}) {
            assertEquals(want[1], line(text, want[0]), want[0] + " in\n" + text);
        }
        assertTrue(text.contains("export OMP_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-4}\""), text);
        assertTrue(text.contains("--jobs 2"), "rows record the array's limit");
    }

    @Test
    void usageErrorsAreOneLineWithExitCode2() {
        String[][] bad = {
            {"reproduce", "--profile", "smoke", "--dry-run"},
            {"reproduce", "--profile", "smoke", "--executor", "pbs"},
            {"reproduce", "--profile", "smoke", "--executor", "slurm", "--jobs", "2", "--dry-run"},
            {"reproduce", "--profile", "smoke", "--executor", "slurm", "--slurm-time", "soon", "--dry-run"},
            {"reproduce", "--profile", "smoke", "--executor", "slurm", "--slurm-mem", "lots", "--dry-run"},
            {"reproduce", "--profile", "smoke", "--executor", "slurm", "--slurm-limit", "0", "--dry-run"},
            {"reproduce", "--profile", "smoke", "--executor", "slurm", "--slurm-extra", "--array=1", "--dry-run"},
            {"reproduce", "--profile", "smoke", "--executor", "slurm", "--slurm-extra=--array=1", "--dry-run"},
            {"reproduce", "--profile", "smoke", "--only", "stabiliser", "--out", "/nonexistent/x", "--jobs", "2"},
            {"reproduce", "--profile", "smoke", "--jobs", "0"},
        };
        for (String[] args : bad) {
            Run r = main(args);
            assertEquals(2, r.code(), Arrays.toString(args) + " -> " + r.out() + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
    }

    @Test
    void withoutSbatchOnThePathOnlyADryRunWorks() throws Exception {
        Process p = Jvm.start(dir, Map.of("PATH", dir.toString()), dir.resolve("out.txt"), "reproduce", "--profile",
                "smoke", "--executor", "slurm", "--out", dir.resolve("r").toString());
        assertEquals(2, p.waitFor());
        String printed = Jvm.read(dir.resolve("out.txt"));
        assertTrue(printed.strip().endsWith("sbatch is not on the PATH; run this on a Slurm login node "
                + "(scripts/slurm-local.sh start for a local one), or add --dry-run to only write the scripts"), printed);
        assertFalse(Files.exists(dir.resolve("r/.slurm")), "nothing written");
    }

    @Test
    void sacctRowsOfTasksThatNeverRanCoverTheirIndices() {
        Map<String, String> s = SlurmWait.states("""
                7|CANCELLED by 0|0:0
                6_0|COMPLETED|0:0
                6_1|FAILED|3:0
                8_[0-3%2]|CANCELLED|0:0
                9_[1,4-5]|CANCELLED|0:0
                10_0|RUNNING|0:0
                """);
        assertEquals("COMPLETED 0:0", SlurmWait.state(s, "6_0"));
        assertEquals("FAILED 3:0", SlurmWait.state(s, "6_1"));
        assertEquals("CANCELLED by 0 0:0", SlurmWait.state(s, "7"));
        assertEquals("CANCELLED 0:0", SlurmWait.state(s, "8_3"));
        assertEquals("CANCELLED 0:0", SlurmWait.state(s, "9_5"));
        assertEquals(null, SlurmWait.state(s, "9_2"));
        assertEquals(null, SlurmWait.state(s, "10_0"), "not final yet");
    }
}
