package org.cottention.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The command line's one set-up (Cli): help everywhere, exit codes documented, one-line errors, suggestions. */
class CliTest {
    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Every command ported to picocli, and its subcommands: the paths that print their own help. */
    static final List<String[]> PORTED = List.of(new String[] {"attention"}, new String[] {"bench"},
            new String[] {"data"}, new String[] {"data", "stats"}, new String[] {"gpu-check"}, new String[] {"train"});

    @Test
    void theCommandListIsAlignedAndNamesEveryCommand() {
        Run r = run("help");
        assertEquals(0, r.code, r.err);
        Pattern row = Pattern.compile("^  (\\S+)( +)(\\S.*)$");
        int column = -1;
        int rows = 0;
        boolean inList = false;
        for (String line : r.out.lines().toList()) {
            if (line.equals("commands:")) {
                inList = true;
                continue;
            }
            if (inList && line.isBlank()) break;
            if (!inList) continue;
            Matcher m = row.matcher(line);
            assertTrue(m.matches(), line);
            int at = 2 + m.group(1).length() + m.group(2).length();
            if (column < 0) column = at;
            assertEquals(column, at, "description column of: " + line);
            rows++;
        }
        assertEquals(Main.commandLine(System.out, System.err).getSubcommands().size(), rows, r.out);
        Run bare = run();
        assertEquals(2, bare.code);
        assertTrue(bare.out.contains("commands:"), bare.out);
    }

    @Test
    void everyCommandHasHelpWithItsExitCodes() {
        for (String[] path : PORTED) {
            for (String flag : new String[] {"-h", "--help"}) {
                String[] args = new String[path.length + 1];
                System.arraycopy(path, 0, args, 0, path.length);
                args[path.length] = flag;
                Run r = run(args);
                String name = String.join(" ", args);
                assertEquals(0, r.code, name + ": " + r.err);
                assertTrue(r.out.startsWith("usage: "), name + ": " + r.out);
                assertTrue(r.out.contains("Exit codes:") && r.out.contains("  2   "), name + ": " + r.out);
                assertTrue(r.err.isEmpty(), name + ": " + r.err);
            }
        }
        Run help = run("help", "train");
        assertEquals(0, help.code);
        assertTrue(help.out.contains("--checkpoint-every"), help.out);
    }

    @Test
    void mistypedFlagsAndCommandsGetOneLineWithASuggestion() {
        String[][] cases = {
            {"--chunk", "attention", "--kind", "cosine", "--chnk", "4"},
            {"--layers", "train", "--lyers", "3"},
            {"--fixture", "data", "stats", "--fixtur"},
            {"--quick", "bench", "--quik"},
            {"train", "tarin"},
            {"stats", "data", "stat"},
        };
        for (String[] c : cases) {
            String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
            Run r = run(args);
            assertEquals(2, r.code, String.join(" ", args));
            assertEquals(1, r.err.strip().lines().count(), r.err);
            assertTrue(r.err.startsWith("cottention"), r.err);
            assertTrue(r.err.contains("did you mean " + c[0] + "?"), r.err);
            assertTrue(r.out.isEmpty(), r.out);
        }
        Run far = run("attention", "--frobnicate");
        assertFalse(far.err.contains("did you mean"), far.err);
        assertTrue(far.err.contains("unknown flag --frobnicate"), far.err);
    }

    @Test
    void valuesOfTheWrongTypeAndRepeatsAreOneLineErrors() {
        String[][] cases = {
            {"'fast'", "train", "--model", "gpt", "--attention", "cosine", "--lr", "fast"},
            {"given twice", "train", "--layers", "2", "--layers", "3"},
            {"given twice", "attention", "--kind", "cosine", "--kind", "softmax"},
            {"expected one of", "attention", "--kind", "sigmoid"},
            {"needs a value", "attention", "--q"},
            {"'9999999999'", "train", "--batch", "9999999999"},
        };
        for (String[] c : cases) {
            Run r = run(java.util.Arrays.copyOfRange(c, 1, c.length));
            assertEquals(2, r.code, String.join(" ", c));
            assertEquals(1, r.err.strip().lines().count(), r.err);
            assertTrue(r.err.contains(c[0]), r.err);
        }
    }

    @Test
    void completionPrintsABashScript() {
        Run r = run("completion");
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.startsWith("#!/usr/bin/env bash"), r.out.substring(0, 40));
        assertTrue(r.out.contains("complete -F") && r.out.contains("cottention"), "a bash complete line");
    }

    @Test
    void aCliExceptionNamesItsCommandOnce() {
        assertEquals("train: --lr x", Cli.prefixed("train", "train: --lr x"));
        assertEquals("attention: q.npy: no such file", Cli.prefixed("attention", "q.npy: no such file"));
        assertEquals("data stats: x", Cli.prefixed("data stats", "data stats: x"));
        assertTrue(Cli.closest("--lyers", List.of("--layers", "--lr")).orElseThrow().equals("--layers"));
        assertTrue(Cli.closest("--frobnicate", List.of("--layers", "--lr")).isEmpty());
    }
}
