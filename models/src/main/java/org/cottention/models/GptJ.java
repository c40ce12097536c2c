package org.cottention.models;

import java.util.Map;
import org.cottention.api.Attention;
import org.cottention.api.AttentionShape;
import org.cottention.api.DecodingState;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * GPT-J for causal language modelling (HF GPTJForCausalLM): token embedding (no absolute positions; rotary inside
 * attention), L parallel blocks, final LayerNorm, untied lm_head with bias. Loss = mean cross-entropy over the
 * labelled positions. Generation goes through per-layer {@link DecodingState}s: cosine attention keeps a
 * constant-size recurrent state, softmax a KV cache.
 */
public final class GptJ extends BaseModel<LmBatch> {
    private final Embedding tokens;
    private final Dropout embeddingDropout;
    private final GptJBlock[] blocks;
    private final LayerNorm finalNorm;
    private final Linear head;

    public GptJ(ModelConfig config, Attention attention, long seed) {
        this(config, attention, seed, true);
    }

    /** allocate = false builds the model without allocating its parameters (to count them). */
    public GptJ(ModelConfig config, Attention attention, long seed, boolean allocate) {
        super(config, attention);
        if (config.family() != ModelConfig.Family.GPTJ) throw new IllegalArgumentException("GptJ needs a GPTJ config");
        if (!attention.causal()) throw new IllegalArgumentException("GPT-J needs a causal attention, got bidirectional " + attention.name());
        Init init = Init.normal(config.initRange());
        tokens = new Embedding(params, "transformer.wte", config.vocabSize(), config.hidden(), init);
        embeddingDropout = new Dropout(config.hiddenDropout());
        Rotary rotary = new Rotary(config.rotaryDim());
        blocks = new GptJBlock[config.layers()];
        for (int i = 0; i < blocks.length; i++) blocks[i] = new GptJBlock(params, "transformer.h." + i, config, attention, rotary);
        finalNorm = new LayerNorm(params, "transformer.ln_f", config.hidden(), config.layerNormEps());
        head = new Linear(params, "lm_head", config.hidden(), config.vocabSize(), init, Init.zeros());
        if (allocate) params.allocate(seed);
    }

    /**
     * The native bytes one step on n sequences of s positions allocates (forward + backward, or the forward alone):
     * the layers, the embedding and final norm, and the logits with their gradient (M, V). See {@link StepMemory}.
     */
    public static long stepBytes(ModelConfig config, Attention attention, long n, long s, boolean backward) {
        return AttentionShape.sum(StepMemory.layers(config, attention, n, s, backward),
                StepMemory.around(config, n, s, 10, AttentionShape.times(n, s), config.vocabSize(), backward ? 2 : 1,
                        backward));
    }

    @Override
    protected Loss run(LmBatch b, Pass pass, double scale, boolean backward) {
        long n = b.batch(), s = b.length();
        if (s > config.maxPositions()) throw new IllegalArgumentException("sequence length " + s + " > max positions " + config.maxPositions());
        INDArray mask = BatchArrays.mask(b.mask(), config.dataType());
        INDArray x = embeddingDropout.forward(tokens.forward(BatchArrays.flatten(b.ids())), pass);
        for (GptJBlock block : blocks) x = block.forward(x, n, s, mask, pass);
        INDArray h = finalNorm.forward(x);
        int[] labels = BatchArrays.flatten(b.labels());
        int[] rows = BatchArrays.labelled(labels);
        boolean all = rows.length == labels.length;
        int[] targets = new int[rows.length];
        for (int i = 0; i < rows.length; i++) targets[i] = labels[rows[i]];
        CrossEntropy.Result ce = rows.length == 0 ? new CrossEntropy.Result(0, 0, 0, new int[0], null)
                : CrossEntropy.compute(head.forward(all ? h : Rows.gather(h, rows)), targets, scale, backward);
        if (backward && rows.length > 0) {
            INDArray dRows = head.backward(ce.gradient());
            INDArray dh = dRows;
            if (!all) {
                dh = Nd4j.create(h.dataType(), h.shape());
                Rows.scatterAdd(dh, rows, dRows);
            }
            INDArray d = finalNorm.backward(dh);
            for (int i = blocks.length - 1; i >= 0; i--) d = blocks[i].backward(d);
            tokens.backward(embeddingDropout.backward(d));
        }
        return new Loss(ce.loss(), ce.loss(), ce.count(), ce.correct(), Map.of("lm", ce.loss()));
    }

    /** Logits (N*s, V) of every position, dropout off: the full (training-form) forward pass. */
    public INDArray logits(int[][] ids, float[][] mask) {
        int[] ns = BatchArrays.shape("ids", ids);
        BatchArrays.maskShape(mask, ns[0], ns[1]);
        INDArray m = BatchArrays.mask(mask, config.dataType());
        INDArray x = tokens.forward(BatchArrays.flatten(ids));
        for (GptJBlock block : blocks) x = block.forward(x, ns[0], ns[1], m, Pass.evaluation());
        return head.forward(finalNorm.forward(x));
    }

    /** A generation session for N sequences: per-layer decoding states, fed tokens in order. */
    public Decoder decoder(int batch) {
        return new Decoder(batch);
    }

    /**
     * Feeds tokens to the model one chunk at a time, each chunk attending to everything fed before (a prompt can go
     * in as one chunk, then one token per call). Dropout is off.
     */
    public final class Decoder {
        private final int batch;
        private final DecodingState[] states;

        private Decoder(int batch) {
            this.batch = batch;
            states = new DecodingState[blocks.length];
            for (int i = 0; i < blocks.length; i++) states[i] = blocks[i].newDecodingState(batch);
        }

        /**
         * @param ids  (N, L) the next L tokens of each sequence
         * @param mask (N, L) or null
         * @return logits (N*L, V) for the token after each of them
         */
        public INDArray feed(int[][] ids, float[][] mask) {
            int len = BatchArrays.shape("ids", ids)[1];
            if (ids.length != batch) throw new IllegalArgumentException("ids: " + ids.length + " rows, decoder has " + batch);
            BatchArrays.maskShape(mask, batch, len);
            if (position() + len > config.maxPositions()) {
                throw new IllegalArgumentException("position " + (position() + len) + " > max positions " + config.maxPositions());
            }
            INDArray m = BatchArrays.mask(mask, config.dataType());
            INDArray x = tokens.forward(BatchArrays.flatten(ids));
            for (int i = 0; i < blocks.length; i++) x = blocks[i].decode(x, batch, len, m, states[i]);
            return head.forward(finalNorm.forward(x));
        }

        /** Tokens fed so far. */
        public long position() {
            return states[0].position();
        }

        /** Bytes held by the decoding states of all layers (constant for cosine, growing for softmax). */
        public long stateBytes() {
            long total = 0;
            for (DecodingState st : states) total += st.bytes();
            return total;
        }
    }
}
