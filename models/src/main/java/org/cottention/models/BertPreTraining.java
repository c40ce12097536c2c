package org.cottention.models;

import java.util.LinkedHashMap;
import java.util.Map;
import org.cottention.api.Attention;
import org.cottention.api.AttentionShape;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * BERT for pre-training (HF BertForPreTraining): the encoder, the MLM head (dense E->E, GELU, LayerNorm, then the
 * decoder tied to the word embeddings with a bias of its own) and the NSP head (pooler, then dense E->2).
 * Loss = mean MLM cross-entropy over labelled tokens + mean NSP cross-entropy (when the batch has NSP labels).
 * The MLM head runs only on labelled rows: the same loss and gradients as running it everywhere, at ~15% of the cost.
 */
public final class BertPreTraining extends BaseModel<MlmBatch> {
    private final BertEncoder encoder;
    private final Linear transform;
    private final Activation transformActivation = new Activation(Activation.Kind.GELU_ERF);
    private final LayerNorm transformNorm;
    private final TiedDecoder decoder;
    private final BertPooler pooler;
    private final Linear nsp;

    public BertPreTraining(ModelConfig config, Attention attention, long seed) {
        this(config, attention, seed, true);
    }

    /** allocate = false builds the model without allocating its parameters (to count them). */
    public BertPreTraining(ModelConfig config, Attention attention, long seed, boolean allocate) {
        super(config, attention);
        Init init = Init.normal(config.initRange());
        encoder = new BertEncoder(params, config, attention);
        transform = new Linear(params, "cls.predictions.transform.dense", config.hidden(), config.hidden(), init, Init.zeros());
        transformNorm = new LayerNorm(params, "cls.predictions.transform.LayerNorm", config.hidden(), config.layerNormEps());
        decoder = new TiedDecoder(params, "cls.predictions.decoder", encoder.wordEmbeddings());
        pooler = new BertPooler(params, config);
        nsp = new Linear(params, "cls.seq_relationship", config.hidden(), 2, init, Init.zeros());
        if (allocate) {
            params.allocate(seed);
            encoder.afterAllocate();
        }
    }

    /**
     * The native bytes one step on n sequences of s positions allocates (forward + backward, or the forward alone):
     * the layers, the embeddings, the MLM head on the labelled rows (at most that many) and the NSP head. See
     * {@link StepMemory}.
     */
    public static long stepBytes(ModelConfig config, Attention attention, long n, long s, long labelledRows,
                                 boolean backward) {
        return AttentionShape.sum(StepMemory.layers(config, attention, n, s, backward),
                StepMemory.around(config, n, s, 32, labelledRows, config.vocabSize(), backward ? 2 : 1, backward));
    }

    /** Labelled rows a batch of M positions has at most, with MLM's 15 %: far in the binomial's tail. */
    public static long labelledRowsAtMost(long positions) {
        return Math.min(positions, (long) Math.ceil(0.2 * positions) + 16);
    }

    @Override
    protected Loss run(MlmBatch b, Pass pass, double scale, boolean backward) {
        long n = b.batch(), s = b.length();
        INDArray h = encoder.forward(b.ids(), b.tokenTypes(), BatchArrays.mask(b.mask(), config.dataType()), pass);
        Map<String, Double> parts = new LinkedHashMap<>();
        INDArray dh = backward ? Nd4j.create(h.dataType(), h.shape()) : null;

        int[] labels = BatchArrays.flatten(b.labels());
        int[] rows = BatchArrays.labelled(labels);
        CrossEntropy.Result mlm = new CrossEntropy.Result(0, 0, 0, new int[0], null);
        if (rows.length > 0) {
            int[] targets = new int[rows.length];
            for (int i = 0; i < rows.length; i++) targets[i] = labels[rows[i]];
            INDArray t = transformNorm.forward(transformActivation.forward(transform.forward(Rows.gather(h, rows))));
            mlm = CrossEntropy.compute(decoder.forward(t), targets, scale, backward);
            if (backward) {
                INDArray dt = decoder.backward(mlm.gradient());
                Rows.scatterAdd(dh, rows, transform.backward(transformActivation.backward(transformNorm.backward(dt))));
            }
        }
        parts.put("mlm", mlm.loss());
        double value = mlm.loss();
        if (b.nextSentence() != null) {
            CrossEntropy.Result ns = CrossEntropy.compute(nsp.forward(pooler.forward(h, n, s)), b.nextSentence(), scale, backward);
            if (backward) dh.addi(pooler.backward(nsp.backward(ns.gradient())));
            parts.put("nsp", ns.loss());
            value += ns.loss();
        }
        if (backward) encoder.backward(dh);
        return new Loss(value, mlm.loss(), mlm.count(), mlm.correct(), parts);
    }
}
