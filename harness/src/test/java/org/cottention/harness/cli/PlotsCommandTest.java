package org.cottention.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cottention.harness.Main;
import org.cottention.harness.experiment.PlotFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./cottention plots}: redraws every figure from a folder's tables; bad input is one line and exit 2. */
class PlotsCommandTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();

    private int run(String... argv) {
        out.reset();
        err.reset();
        return Main.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void redrawsTheFiguresOfEveryTableThere() throws Exception {
        for (Map.Entry<String, List<Map<String, String>>> t : PlotFixtures.tables().entrySet()) {
            PlotFixtures.write(dir.resolve(t.getKey() + ".csv"), t.getValue());
        }
        assertEquals(0, run("plots", "--dir", dir.toString()), err.toString());
        String o = out.toString();
        assertTrue(o.contains("attention_scaling: 18 figures (PNG + SVG)"), o);
        assertTrue(o.contains("bert: 3 figures (PNG + SVG)"), "BERT's curves are rows of its table: " + o);
        for (String f : List.of("decoding_memory_vs_position", "gpt_gap_vs_size", "stabiliser_sigma_m",
                "bert_pretraining_curves", "bert_finetuning_imdb", "bert_finetuning_acceptability")) {
            assertTrue(Files.size(dir.resolve(f + ".png")) > 0 && Files.size(dir.resolve(f + ".svg")) > 0, f);
        }
        assertTrue(Files.notExists(dir.resolve("README.md")), "the README is left alone");
    }

    @Test
    void badInputIsOneLineAndExitTwo() throws Exception {
        assertEquals(2, run("plots", "--dir", dir.resolve("nope").toString()));
        assertOneLine("no such folder");
        assertEquals(2, run("plots", "--dir", dir.toString()));
        assertOneLine("holds none of the tables");
        assertEquals(2, run("plots", "--dir", dir.toString(), "--only", "gpt,nonsense"));
        assertOneLine("unknown experiment 'nonsense'");

        List<Map<String, String>> rows = new ArrayList<>(PlotFixtures.tables().get("decoding"));
        rows.replaceAll(r -> {
            Map<String, String> c = new java.util.LinkedHashMap<>(r);
            c.remove("state_mib");
            return c;
        });
        PlotFixtures.write(dir.resolve("decoding.csv"), rows);
        assertEquals(2, run("plots", "--dir", dir.toString()));
        assertOneLine("lacks the columns [state_mib]");

        rows.replaceAll(r -> {
            Map<String, String> c = new java.util.LinkedHashMap<>(r);
            c.put("state_mib", "lots");
            return c;
        });
        PlotFixtures.write(dir.resolve("decoding.csv"), rows);
        assertEquals(2, run("plots", "--dir", dir.toString()));
        assertOneLine("not a number");
        assertTrue(Files.notExists(dir.resolve("decoding_memory_vs_position.png")));
    }

    private void assertOneLine(String expected) {
        String e = err.toString().strip();
        assertTrue(e.contains(expected) && !e.contains("\n"), e);
    }
}
