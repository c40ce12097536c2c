package org.cottention.harness.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A shard is finished only when it matches its completion marker; every other state is named. */
class ShardsTest {
    @TempDir
    Path dir;

    final Experiment decoding = new DecodingExperiment();
    final RunConfig cosine = decoding.configs(Profile.SMOKE).get(0), softmax = decoding.configs(Profile.SMOKE).get(1);

    private void write(RunConfig c) throws Exception {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("attention", c.get("kind"));
        row.put("status", "ok");
        row.put("step_ms_median", 0.25);
        row.put("state_mib", Double.NaN);   // a NaN measurement is written as NaN, for the check to see
        Shards.write(dir, decoding, c, Profile.SMOKE, "cpu", "local", 1, List.of(row, row));
    }

    @Test
    void aWrittenShardIsFinishedAndNaNIsKeptVisible() throws Exception {
        assertEquals(Shards.State.MISSING, Shards.state(dir, decoding, cosine));
        write(cosine);
        assertTrue(Shards.state(dir, decoding, cosine).finished());
        List<String> marker = Files.readAllLines(Shards.marker(dir, decoding, cosine));
        assertEquals(Shards.MARKER_FORMAT, marker.get(0));
        assertTrue(marker.get(1).matches("sha256 [0-9a-f]{64}"), marker.toString());
        assertEquals("rows 2", marker.get(2));
        assertEquals("config " + Shards.settings(cosine), marker.get(3));
        List<Map<String, String>> rows = Experiments.readCsv(Shards.csv(dir, decoding, cosine));
        assertEquals("NaN", rows.get(0).get("state_mib"));
        assertEquals("local", rows.get(0).get("executor"));
        assertEquals("1", rows.get(0).get("jobs"));
    }

    @Test
    void truncatedEditedOrUnmarkedShardsAreNotFinished() throws Exception {
        write(cosine);
        Path csv = Shards.csv(dir, decoding, cosine);
        byte[] good = Files.readAllBytes(csv);

        Files.write(csv, java.util.Arrays.copyOf(good, good.length - 20));
        assertState(cosine, "its SHA-256 differs");

        Files.writeString(csv, new String(good, StandardCharsets.UTF_8).replace("0.25", "0.26"));
        assertState(cosine, "its SHA-256 differs");

        Files.write(csv, good);
        assertTrue(Shards.state(dir, decoding, cosine).finished());
        Files.delete(Shards.marker(dir, decoding, cosine));
        assertState(cosine, "no completion marker");

        write(cosine);
        Files.delete(csv);
        assertState(cosine, "the shard is not");

        write(cosine);
        Files.writeString(Shards.marker(dir, decoding, cosine), "something else\n");
        assertState(cosine, "is not a " + Shards.MARKER_FORMAT + " file");

        write(cosine);
        Path marker = Shards.marker(dir, decoding, cosine);
        Files.writeString(marker, Files.readString(marker).replace(Shards.MARKER_FORMAT, "cottention-shard-1"));
        assertState(cosine, "older version that did not record the configuration's settings");
    }

    @Test
    void aShardWithOtherColumnsIsFromAnOlderVersion() throws Exception {
        write(cosine);
        Path csv = Shards.csv(dir, decoding, cosine);
        String old = Files.readString(csv).replaceFirst(",executor,jobs", "").replace(",local,1,", ",");
        Files.writeString(csv, old);
        Files.writeString(Shards.marker(dir, decoding, cosine), Shards.MARKER_FORMAT + "\nsha256 "
                + Shards.sha256(old.getBytes(StandardCharsets.UTF_8)) + "\nrows 2\n");
        assertState(cosine, "other columns than this version writes");
    }

    /** A shard made for other parameters (BERT: another recipe fingerprint) runs again. */
    @Test
    void aShardMadeWithOtherSettingsIsNotFinished() throws Exception {
        write(cosine);
        Map<String, String> changed = new LinkedHashMap<>(cosine.params());
        changed.put("recipe", "0123abcd");
        RunConfig other = new RunConfig(cosine.key(), changed);
        assertTrue(Shards.state(dir, decoding, cosine).finished());
        assertState(other, "made with other settings");
        assertState(other, "recipe=0123abcd");
    }

    @Test
    void theMergeTakesFinishedShardsOnlyAndNamesTheOthers() throws Exception {
        write(cosine);
        write(softmax);
        Files.delete(Shards.marker(dir, decoding, softmax));
        Shards.Merged m = Shards.merged(dir, decoding, Profile.SMOKE);
        assertEquals(2, m.rows().size());
        assertEquals(1, m.missing().size());
        assertTrue(m.missing().get(0).startsWith("decoding/softmax-D128-h4-t1024 (no completion marker"), m.missing().toString());
    }

    private void assertState(RunConfig c, String why) {
        Shards.State s = Shards.state(dir, decoding, c);
        assertFalse(s.finished());
        assertTrue(s.started());
        assertTrue(s.why().contains(why), s.why());
    }
}
