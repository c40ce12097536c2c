package org.cottention.harness.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cottention.harness.cli.CliException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gate's bookkeeping (the timing itself runs in .ci/run, not in unit tests). */
class SpeedGateTest {

    @Test
    void aSlowedRunIsComparedWithTheSameBaselineEntry() {
        List<SpeedGate.Config> plain = SpeedGate.configs(1), slowed = SpeedGate.configs(2);
        for (int i = 0; i < plain.size(); i++) {
            assertEquals(plain.get(i).key(), slowed.get(i).key());
            assertTrue(!plain.get(i).key().contains("repeat"), plain.get(i).key());
        }
        assertEquals(plain.size(), plain.stream().map(SpeedGate.Config::key).distinct().count(), "keys are unique");
    }

    @Test
    void aMissingBaselineSaysHowToCreateIt(@TempDir Path dir) {
        CliException e = assertThrows(CliException.class,
                () -> SpeedGate.readBaseline(dir.resolve("none.csv")));
        assertTrue(e.getMessage().contains("--update-baseline"), e.getMessage());
    }

    @Test
    void committedBaselineCoversEveryConfiguration() throws IOException {
        Path file = Path.of("..").resolve(SpeedGate.DEFAULT_BASELINE);
        assertTrue(Files.isRegularFile(file), file + " is committed: .ci/run gates against it");
        var base = SpeedGate.readBaseline(file);
        for (SpeedGate.Config c : SpeedGate.configs(1)) assertTrue(base.containsKey(c.key()), c.key());
    }
}
