package org.cottention.harness.results;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The one progress reporter: smoothed time per item, the ETA, a bar on a terminal and plain lines elsewhere. */
class ProgressTest {
    private long now;

    private Progress progress(ByteArrayOutputStream bytes, boolean terminal, long total) {
        return new Progress("train", total, new PrintStream(bytes, true, StandardCharsets.UTF_8), terminal, () -> now, 20);
    }

    @Test
    void theEtaFollowsTheSmoothedTimePerItem() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress p = progress(bytes, false, 100);
        assertEquals(null, p.left());
        assertEquals("", p.eta());
        for (int i = 1; i <= 10; i++) {
            now += 1_000_000_000L;        // one second per item
            p.advance(i, "");
        }
        assertEquals(1.0, p.secondsPerItem(), 1e-9, "bias-corrected: no pull towards 0 at the start");
        assertEquals(Duration.ofSeconds(90), p.left());
        // One item ten times slower (a JIT pause, a busy neighbour) moves the average by a fraction of that.
        now += 10_000_000_000L;
        p.advance(11, "");
        assertTrue(p.secondsPerItem() > 1.5 && p.secondsPerItem() < 2.5, "" + p.secondsPerItem());
        assertEquals("", bytes.toString(StandardCharsets.UTF_8), "advance prints nothing off a terminal");
    }

    @Test
    void aSwingingRateIsSmoothed() {
        Progress.Average a = new Progress.Average(20);
        double min = Double.MAX_VALUE, max = 0;
        for (int i = 0; i < 200; i++) {
            double v = a.add(i % 2 == 0 ? 2_000 : 22_000);       // tokens/s swinging 2k-22k from step to step
            if (i >= 20) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        assertTrue(min > 10_000 && max < 14_000, min + " .. " + max);
    }

    @Test
    void aTerminalGetsABarRedrawnInPlaceAndLinesAboveIt() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress p = progress(bytes, true, 4);
        now += 2_000_000_000L;
        p.advance(1, "loss 2.0");
        p.line("step 1/4  loss 2.0");
        p.finish("done");
        String s = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(s.contains("\r\033[2K[#####---------------] train 1/4 loss 2.0 (elapsed 2s, about 6s left)"), s);
        assertTrue(s.contains("\r\033[2Kstep 1/4  loss 2.0\n"), s);
        assertTrue(s.endsWith("\r\033[2Kdone\n"), s);
    }

    @Test
    void offATerminalEachStartingItemIsALine() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress p = progress(bytes, false, 2);
        p.starting("first");
        now += 3_000_000_000L;
        p.finished();
        p.starting("second");
        p.finished();
        String s = bytes.toString(StandardCharsets.UTF_8);
        assertEquals("train [1/2] first\ntrain [2/2] second (elapsed 3s, about 3s left)\n", s);
        assertFalse(s.contains("\033"), s);
    }

    @Test
    void weightedItemsEstimateFromTheWorkDoneNotTheCount() {
        // reproduce's case: a 10 s timing configuration first, then three training runs of 600 s each.
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress p = progress(bytes, false, 4).weighted(10 + 3 * 600);
        assertEquals(null, p.left());
        now += 10_000_000_000L;
        p.finished(10);
        assertEquals(Duration.ofSeconds(1800), p.left(), "by count it would read 30 s");
        now += 295_000_000_000L;       // the first training run goes about twice as fast as estimated
        p.finished(600);
        assertEquals(Duration.ofSeconds(600), p.left());
    }

    @Test
    void durationsReadAsMinutesAndHours() {
        assertEquals("45s", Progress.format(Duration.ofSeconds(45)));
        assertEquals("3m07s", Progress.format(Duration.ofSeconds(187)));
        assertEquals("2h05m", Progress.format(Duration.ofMinutes(125)));
    }
}
