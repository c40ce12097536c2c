package org.cottention.models;

import java.util.Map;
import org.cottention.api.Attention;
import org.cottention.api.AttentionShape;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * BERT for sequence classification (HF BertForSequenceClassification): encoder, pooler, dropout (hidden rate),
 * dense E -> classes; loss = mean cross-entropy. Encoder and pooler parameters carry the same names as in
 * {@link BertPreTraining}, so a pre-trained checkpoint loads into them by name. The pooler reads [CLS] (HF's) or
 * the mean of the real tokens' hidden states ({@link Pooling}).
 */
public final class BertClassifier extends BaseModel<ClassificationBatch> {
    private final BertEncoder encoder;
    private final BertPooler pooler;
    private final Dropout dropout;
    private final Linear classifier;
    private final Pooling pooling;

    /** What the pooler reads. */
    public enum Pooling {
        /** The first token's ([CLS]) hidden state: HF's; BERT's pretraining trains it through next-sentence prediction. */
        CLS,
        /**
         * The mean of the hidden states of each sequence's real tokens (mask 1): for an encoder pretrained without a
         * sentence-level objective, whose [CLS] state was never trained to summarise (Reimers and Gurevych 2019).
         */
        MEAN
    }

    public BertClassifier(ModelConfig config, Attention attention, int classes, long seed) {
        this(config, attention, classes, seed, Pooling.CLS, true);
    }

    public BertClassifier(ModelConfig config, Attention attention, int classes, long seed, Pooling pooling) {
        this(config, attention, classes, seed, pooling, true);
    }

    /** allocate = false builds the model without allocating its parameters (to count them). */
    public BertClassifier(ModelConfig config, Attention attention, int classes, long seed, Pooling pooling,
                          boolean allocate) {
        super(config, attention);
        this.pooling = java.util.Objects.requireNonNull(pooling, "pooling");
        if (classes < 2) throw new IllegalArgumentException("classification needs >= 2 classes, got " + classes);
        encoder = new BertEncoder(params, config, attention);
        pooler = new BertPooler(params, config);
        dropout = new Dropout(config.hiddenDropout());
        classifier = new Linear(params, "classifier", config.hidden(), classes, Init.normal(config.initRange()), Init.zeros());
        if (allocate) {
            params.allocate(seed);
            encoder.afterAllocate();
        }
    }

    /**
     * The native bytes one step on n sequences of s positions allocates (forward + backward, or the forward alone):
     * the layers, the embeddings, the pooler and the classifier. See {@link StepMemory}.
     */
    public static long stepBytes(ModelConfig config, Attention attention, int classes, long n, long s, boolean backward) {
        return AttentionShape.sum(StepMemory.layers(config, attention, n, s, backward),
                StepMemory.around(config, n, s, 24, n, Math.max(classes, config.hidden()), 4, backward));
    }

    @Override
    protected Loss run(ClassificationBatch batch, Pass pass, double scale, boolean backward) {
        return forward(batch, pass, scale, backward).loss;
    }

    /** The argmax class of every sequence (dropout off). */
    public int[] predict(ClassificationBatch batch) {
        return forward(batch, Pass.evaluation(), 1.0, false).predicted;
    }

    private record Run(Loss loss, int[] predicted) {}

    private Run forward(ClassificationBatch b, Pass pass, double scale, boolean backward) {
        INDArray h = encoder.forward(b.ids(), b.tokenTypes(), BatchArrays.mask(b.mask(), config.dataType()), pass);
        INDArray logits = classifier.forward(dropout.forward(pooler.forward(h, b.batch(), b.length(), b.mask(), pooling),
                pass));                                                          // h (N*s, E) -> (N, classes)
        CrossEntropy.Result ce = CrossEntropy.compute(logits, b.labels(), scale, backward);
        if (backward) encoder.backward(pooler.backward(dropout.backward(classifier.backward(ce.gradient()))));
        return new Run(new Loss(ce.loss(), ce.loss(), ce.count(), ce.correct(), Map.of("cls", ce.loss())), ce.predicted());
    }
}
