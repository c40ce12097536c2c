package org.cottention.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.cottention.harness.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();

    private int run(String... argv) {
        return Main.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void statsOnTheFixture() {
        assertEquals(0, run("data", "stats", "--fixture"), err.toString());
        String s = out.toString(StandardCharsets.UTF_8);
        assertTrue(s.startsWith("data: built-in fixture corpus"), s);
        assertTrue(s.contains("imdb           train           29"), s);
        assertTrue(s.contains("bert-wordpiece"), s);
    }

    @Test
    void badInvocationsAreOneLineErrors(@TempDir Path tmp) {
        assertEquals(2, run("data", "stats", "--fixture", "--tokenizers", "byte,wordpiece9"));
        assertTrue(err.toString().contains("unknown tokenizer 'wordpiece9'"), err.toString());
        err.reset();
        assertEquals(2, run("data", "stats", "--data", tmp.resolve("none").toString()));
        assertTrue(err.toString().contains("scripts/setup-data.sh"), err.toString());
        err.reset();
        assertEquals(2, run("data", "stats", "--frobnicate"));
        assertTrue(err.toString().contains("unknown flag --frobnicate"), err.toString());
        err.reset();
        assertEquals(2, run("data", "histogram"));
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
    }
}
