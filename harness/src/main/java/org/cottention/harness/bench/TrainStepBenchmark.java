package org.cottention.harness.bench;

import java.util.Locale;
import java.util.SplittableRandom;
import org.cottention.api.Attention;
import org.cottention.api.AttentionKind;
import org.cottention.harness.attention.AttentionRegistry;
import org.cottention.harness.data.batch.ByteText;
import org.cottention.harness.data.batch.MlmPairs;
import org.cottention.harness.train.AdamW;
import org.cottention.models.BertPreTraining;
import org.cottention.models.CrossEntropy;
import org.cottention.models.GptJ;
import org.cottention.models.LmBatch;
import org.cottention.models.MlmBatch;
import org.cottention.models.Model;
import org.cottention.models.ModelConfig;
import org.cottention.models.Pass;
import org.cottention.models.Workspaces;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One optimiser step of a model at the default profile's size, as the trainer runs it: forward + backward inside
 * the training workspace, then the AdamW update inside the update workspace. GPT-J: 4 layers, E 128, 2 heads of
 * 64, I 512, rotary 64, s 256, batch 16, byte vocabulary (every position labelled). BERT: 4 layers, E 128, 2 heads,
 * I 512, s 128, batch 32, byte vocabulary, MLM (15 %) + NSP. Random batches, fixed per trial; baseline init.
 * {@link Step#modelFlops} is the step's model FLOPs ({@link FlopCounts#trainingStep}).
 */
@State(Scope.Benchmark)
public class TrainStepBenchmark extends BenchDefaults {
    @Param("gpt")
    public String model;
    @Param("cosine")
    public String attention;
    /** Test-only: runs the step this many times per call (the CI gate's self-check uses 2). */
    @Param("1")
    public int repeat;

    static final int LAYERS = 4, HIDDEN = 128, HEADS = 2, INNER = 512, CHUNK = 64;
    static final int GPT_SEQ = 256, GPT_BATCH = 16, BERT_SEQ = 128, BERT_BATCH = 32;

    private Model<Object> net;
    private Object batch;
    private AdamW optimizer;
    private long step;

    /** A model of the benchmark's size with its fixed batch and the step's model FLOPs. */
    record Step(Model<Object> model, Object batch, double modelFlops, long realTokens) {}

    /** The configuration's model (baseline init, seed 1), batch and model FLOPs; the same in every fork. */
    @SuppressWarnings("unchecked")
    static Step of(String model, String attention) {
        boolean bert = model.equals("bert");
        if (!bert && !model.equals("gpt")) throw new IllegalArgumentException("model must be gpt or bert, got " + model);
        Attention att = AttentionRegistry.defaultFor(AttentionKind.valueOf(attention.toUpperCase(Locale.ROOT)), !bert)
                .create(!bert, CHUNK);
        SplittableRandom rng = new SplittableRandom(42);
        Model<Object> net;
        Object batch;
        long lossRows, real;
        if (bert) {
            ModelConfig c = ModelConfig.bert(ByteText.BERT_VOCAB, HIDDEN, LAYERS, HEADS, INNER, BERT_SEQ)
                    .withPadTokenId(ByteText.PAD);
            net = (Model<Object>) (Model<?>) new BertPreTraining(c, att, 1);
            int[] text = new int[1 << 16];
            for (int i = 0; i < text.length; i++) text[i] = rng.nextInt(256);
            MlmBatch b = new MlmPairs(text, BERT_BATCH, BERT_SEQ, true, 7).batch(0);
            batch = b;
            long rows = 0, tokens = 0;
            for (int[] row : b.labels()) for (int y : row) if (y != CrossEntropy.IGNORE) rows++;
            for (float[] row : b.mask()) for (float p : row) tokens += (long) p;
            lossRows = rows;
            real = tokens;
        } else {
            ModelConfig c = ModelConfig.gptj(ByteText.GPT_VOCAB, HIDDEN, LAYERS, HEADS, INNER, 64, GPT_SEQ);
            net = (Model<Object>) (Model<?>) new GptJ(c, att, 1);
            int[][] ids = new int[GPT_BATCH][GPT_SEQ], labels = new int[GPT_BATCH][GPT_SEQ];
            for (int i = 0; i < GPT_BATCH; i++) {
                for (int t = 0; t < GPT_SEQ; t++) {
                    ids[i][t] = rng.nextInt(256);
                    labels[i][t] = rng.nextInt(256);
                }
            }
            batch = new LmBatch(ids, null, labels);
            lossRows = (long) GPT_BATCH * GPT_SEQ;
            real = lossRows;
        }
        ModelConfig c = net.config();
        long n = bert ? BERT_BATCH : GPT_BATCH, s = bert ? BERT_SEQ : GPT_SEQ;
        double flops = FlopCounts.trainingStep(bert, att.name(), n, s, lossRows, c.layers(), c.hidden(), c.heads(),
                c.intermediate(), c.vocabSize(), CHUNK);
        return new Step(net, batch, flops, real);
    }

    /** Positions (N x s, padding included) of one step of the configuration. */
    static long positions(String model) {
        return model.equals("bert") ? (long) BERT_BATCH * BERT_SEQ : (long) GPT_BATCH * GPT_SEQ;
    }

    @Setup(Level.Trial)
    public void setUp() {
        Step st = of(model, attention);
        net = st.model();
        batch = st.batch();
        optimizer = new AdamW(net.parameters(), AdamW.Config.reference());
    }

    @Benchmark
    public double step() {
        double loss = 0;
        for (int r = 0; r < repeat; r++) {
            net.parameters().zeroGrads();
            try (MemoryWorkspace ws = Workspaces.open("cottention-train")) {
                loss = net.trainStep(batch, 1.0, Pass.training(step++)).value();
            }
            try (MemoryWorkspace ws = Workspaces.open("cottention-update")) {
                loss += 0 * net.parameters().grads().norm2Number().doubleValue();   // the trainer logs |g| every step
                optimizer.step(1e-4);
            }
        }
        return loss;
    }
}
