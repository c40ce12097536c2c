package org.cottention.models;

import org.cottention.api.Attention;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * BERT's embeddings and encoder stack (HF BertModel without the pooler): word + learned absolute position +
 * token-type embeddings -> LayerNorm -> dropout -> L post-LN layers. Output (N*s, E), rows in (sequence, position)
 * order. Parameter names follow Hugging Face's ("bert.embeddings.word_embeddings.weight", ...).
 */
public final class BertEncoder {
    private final ModelConfig config;
    private final Embedding words, positions, types;
    private final LayerNorm norm;
    private final Dropout dropout;
    private final BertLayer[] layers;
    private long n, s;

    public BertEncoder(Parameters p, ModelConfig c, Attention attention) {
        if (c.family() != ModelConfig.Family.BERT) throw new IllegalArgumentException("BertEncoder needs a BERT config");
        if (attention.causal()) throw new IllegalArgumentException("BERT needs a bidirectional attention, got causal " + attention.name());
        this.config = c;
        Init init = Init.normal(c.initRange());
        words = new Embedding(p, "bert.embeddings.word_embeddings", c.vocabSize(), c.hidden(), init);
        positions = new Embedding(p, "bert.embeddings.position_embeddings", c.maxPositions(), c.hidden(), init);
        types = new Embedding(p, "bert.embeddings.token_type_embeddings", c.typeVocabSize(), c.hidden(), init);
        norm = new LayerNorm(p, "bert.embeddings.LayerNorm", c.hidden(), c.layerNormEps());
        dropout = new Dropout(c.hiddenDropout());
        layers = new BertLayer[c.layers()];
        Rotary rotary = c.rotaryDim() > 0 ? new Rotary(c.rotaryDim()) : null;
        for (int i = 0; i < layers.length; i++) layers[i] = new BertLayer(p, "bert.encoder.layer." + i, c, attention, rotary);
    }

    /** The word-embedding table (the MLM decoder shares it). */
    public Parameter wordEmbeddings() {
        return words.table();
    }

    /** After allocation: zero the padding row, as HF's init does for padding_idx. */
    void afterAllocate() {
        if (config.padTokenId() >= 0) words.table().value().getRow(config.padTokenId()).assign(0.0);
    }

    /**
     * @param ids   (N, s)
     * @param types (N, s) or null (all 0)
     * @param mask  (N, s) in the model dtype, or null
     * @return (N*s, E)
     */
    public INDArray forward(int[][] ids, int[][] tokenTypes, INDArray mask, Pass pass) {
        n = ids.length;
        s = ids[0].length;
        if (s > config.maxPositions()) {
            throw new IllegalArgumentException("sequence length " + s + " > max positions " + config.maxPositions());
        }
        int[] positionIds = new int[(int) (n * s)];
        for (int i = 0; i < positionIds.length; i++) positionIds[i] = (int) (i % s);
        int[] typeIds = tokenTypes == null ? new int[positionIds.length] : BatchArrays.flatten(tokenTypes);
        INDArray x = words.forward(BatchArrays.flatten(ids)).addi(positions.forward(positionIds)).addi(types.forward(typeIds));
        x = dropout.forward(norm.forward(x), pass);
        for (BertLayer layer : layers) x = layer.forward(x, n, s, mask, pass);
        return x;
    }

    /** dh (N*s, E): accumulates every encoder gradient. */
    public void backward(INDArray dh) {
        INDArray d = dh;
        for (int i = layers.length - 1; i >= 0; i--) d = layers[i].backward(d);
        d = norm.backward(dropout.backward(d));
        words.backward(d);
        positions.backward(d);
        types.backward(d);
    }

    long batch() {
        return n;
    }

    long length() {
        return s;
    }
}
