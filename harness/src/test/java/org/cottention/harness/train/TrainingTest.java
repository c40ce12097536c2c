package org.cottention.harness.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cottention.api.Attention;
import org.cottention.api.AttentionKind;
import org.cottention.api.Nd;
import org.cottention.harness.attention.AttentionRegistry;
import org.cottention.harness.data.batch.ByteText;
import org.cottention.harness.data.batch.LmWindows;
import org.cottention.harness.data.batch.MlmPairs;
import org.cottention.kernels.OneThread;
import org.cottention.models.BertPreTraining;
import org.cottention.models.GptJ;
import org.cottention.models.LmBatch;
import org.cottention.models.MlmBatch;
import org.cottention.models.Model;
import org.cottention.models.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Training end to end on the committed Alice fixture (byte-level): the held-out loss falls for BERT and GPT-J with
 * both attentions; a run resumed from a checkpoint reproduces the uninterrupted run exactly (same losses, same final
 * parameters); corrupt checkpoints and changed settings are refused.
 */
@ExtendWith(OneThread.class)
class TrainingTest {
    static final int HIDDEN = 32, LAYERS = 2, HEADS = 4, SEQ = 32, BATCH = 8;

    static ByteText alice() throws IOException, URISyntaxException {
        return ByteText.read(Path.of(TrainingTest.class.getResource("/fixtures/alice-chapters-1-3.txt").toURI()), 0.1);
    }

    static Attention attention(AttentionKind kind, boolean causal) {
        return AttentionRegistry.defaultFor(kind, causal).create(causal, 16);
    }

    static Trainer.Settings settings(long steps, double lr, long seed) {
        return new Trainer.Settings(steps, 1, lr, new LinearSchedule(Math.max(1, steps / 10), steps, true), 0.0,
                AdamW.Config.reference(), seed, 1000, 0, 4);
    }

    static Trainer<LmBatch> gpt(AttentionKind kind, ByteText text, Trainer.Settings s, Path checkpoint) {
        ModelConfig c = ModelConfig.gptj(ByteText.GPT_VOCAB, HIDDEN, LAYERS, HEADS, 2 * HIDDEN, 8, SEQ);
        GptJ model = new GptJ(c, attention(kind, true), 5);
        return new Trainer<>(model, new LmWindows(text.train(), BATCH, SEQ, 5), LmWindows.heldOut(text.heldOut(), BATCH, SEQ, 2),
                s, Map.of("data", "alice"), checkpoint, null, quiet());
    }

    static Trainer<MlmBatch> bert(AttentionKind kind, ByteText text, Trainer.Settings s, Path checkpoint) {
        ModelConfig c = ModelConfig.bert(ByteText.BERT_VOCAB, HIDDEN, LAYERS, HEADS, 2 * HIDDEN, SEQ).withPadTokenId(ByteText.PAD);
        BertPreTraining model = new BertPreTraining(c, attention(kind, false), 5);
        return new Trainer<>(model, new MlmPairs(text.train(), BATCH, SEQ, true, 5),
                MlmPairs.heldOut(text.heldOut(), BATCH, SEQ, true, 2, 5), s, Map.of("data", "alice"), checkpoint, null, quiet());
    }

    static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream());
    }

    @ParameterizedTest
    @EnumSource(AttentionKind.class)
    void gptLossFalls(AttentionKind kind) throws Exception {
        Trainer<LmBatch> t = gpt(kind, alice(), settings(60, 3e-3, 1), null);
        double before = t.evaluate()[0];
        Trainer.Outcome o = t.run(false, Long.MAX_VALUE);
        assertTrue(before > 5.0, "starts near ln(257) = 5.55, got " + before);
        assertTrue(o.heldOutLoss() < before - 1.5, kind + ": held-out loss " + before + " -> " + o.heldOutLoss());
    }

    @ParameterizedTest
    @EnumSource(AttentionKind.class)
    void bertLossFalls(AttentionKind kind) throws Exception {
        Trainer<MlmBatch> t = bert(kind, alice(), settings(60, 3e-3, 1), null);
        double before = t.evaluate()[0];
        Trainer.Outcome o = t.run(false, Long.MAX_VALUE);
        assertTrue(o.heldOutLoss() < before - 1.0, kind + ": held-out MLM loss " + before + " -> " + o.heldOutLoss());
    }

    /** 8 steps straight vs 4 steps, a new process-like start from the checkpoint, 4 more: identical. */
    @ParameterizedTest
    @EnumSource(AttentionKind.class)
    void resumedRunMatchesTheUninterruptedOne(AttentionKind kind, @TempDir Path dir) throws Exception {
        ByteText text = alice();
        Trainer.Settings s = settings(8, 1e-3, 3);
        Trainer<MlmBatch> straight = bert(kind, text, s, dir.resolve("a"));    // BERT: dropout on, so masks must replay
        Trainer.Outcome a = straight.run(false, Long.MAX_VALUE);

        Trainer.Outcome first = bert(kind, text, s, dir.resolve("b")).run(false, 4);
        assertEquals(4, first.steps());
        Trainer<MlmBatch> resumed = bert(kind, text, s, dir.resolve("b"));
        Trainer.Outcome b = resumed.run(true, Long.MAX_VALUE);

        assertEquals(losses(a.curve()), losses(b.curve()));
        assertArrayEquals(Nd.toDoubles(straight.model().parameters().values()), Nd.toDoubles(resumed.model().parameters().values()));
        assertArrayEquals(Nd.toDoubles(straight.optimizer().secondMoment()), Nd.toDoubles(resumed.optimizer().secondMoment()));
        assertEquals(8, resumed.optimizer().steps());
    }

    @Test
    void gptResumeMatchesToo(@TempDir Path dir) throws Exception {
        ByteText text = alice();
        Trainer.Settings s = settings(6, 1e-3, 3);
        Trainer<LmBatch> straight = gpt(AttentionKind.COSINE, text, s, dir.resolve("a"));
        Trainer.Outcome a = straight.run(false, Long.MAX_VALUE);
        gpt(AttentionKind.COSINE, text, s, dir.resolve("b")).run(false, 4);
        Trainer<LmBatch> resumed = gpt(AttentionKind.COSINE, text, s, dir.resolve("b"));
        Trainer.Outcome b = resumed.run(true, Long.MAX_VALUE);
        assertEquals(losses(a.curve()), losses(b.curve()));
        assertArrayEquals(Nd.toDoubles(straight.model().parameters().values()), Nd.toDoubles(resumed.model().parameters().values()));
    }

    /** The columns that must match: everything but speed, memory and wall time. */
    static List<String> losses(List<String> curve) {
        List<String> out = new ArrayList<>();
        for (String row : curve) {
            String[] f = row.split(",", -1);
            out.add(String.join(",", java.util.Arrays.copyOfRange(f, 0, 9)));
        }
        return out;
    }

    @Test
    void corruptOrMismatchedCheckpointsAreRefused(@TempDir Path dir) throws Exception {
        ByteText text = alice();
        Trainer.Settings s = settings(4, 1e-3, 3);
        gpt(AttentionKind.SOFTMAX, text, s, dir).run(false, Long.MAX_VALUE);
        assertTrue(Checkpoint.exists(dir));

        Trainer<LmBatch> other = gpt(AttentionKind.SOFTMAX, text, settings(4, 2e-3, 3), dir);
        Checkpoint.CheckpointException e = assertThrows(Checkpoint.CheckpointException.class, () -> other.run(true, Long.MAX_VALUE));
        assertTrue(e.getMessage().contains("train.lr"), e.getMessage());

        Trainer<LmBatch> cosine = gpt(AttentionKind.COSINE, text, s, dir);
        e = assertThrows(Checkpoint.CheckpointException.class, () -> cosine.run(true, Long.MAX_VALUE));
        assertTrue(e.getMessage().contains("run.") || e.getMessage().contains("parameters"), e.getMessage());

        Path params = dir.resolve(Files.readString(dir.resolve("latest")).trim()).resolve("params.npy");
        byte[] bytes = Files.readAllBytes(params);
        bytes[bytes.length - 1] ^= 1;
        Files.write(params, bytes);
        e = assertThrows(Checkpoint.CheckpointException.class, () -> Checkpoint.loadLatest(dir));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
    }

    @Test
    void checkpointsKeepTheLastTwo(@TempDir Path dir) throws Exception {
        Trainer.Settings s = new Trainer.Settings(8, 1, 1e-3, new LinearSchedule(0, 8, true), 0, AdamW.Config.reference(), 1, 100, 0, 2);
        Model<LmBatch> m = gpt(AttentionKind.SOFTMAX, alice(), s, dir).model();
        assertTrue(m.parameters().count() > 0);
        gpt(AttentionKind.SOFTMAX, alice(), s, dir).run(false, Long.MAX_VALUE);
        try (var files = Files.list(dir)) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of("latest", "step-00000006", "step-00000008"), names);
        }
    }
}
