package org.cottention.models;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.cottention.api.StabilisedAttention;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The architecture of one model (paper-spec §7). Presets mirror the paper's BERT-base and GPT-J 300M / 1.2B;
 * any smaller size is the same family with other numbers.
 *
 * @param family           BERT (post-LN encoder, learned absolute positions) or GPTJ (parallel block, rotary)
 * @param vocabSize        V
 * @param hidden           E
 * @param layers           L
 * @param heads            H (E must be a multiple of H; head dim d = E / H)
 * @param intermediate     the MLP's inner width; 0 for GPT-J blocks without an MLP (attention only, as the
 *                         two-layer models of Zoology's associative-recall figures)
 * @param maxPositions     BERT: rows of the learned position table (the longest sequence); GPT-J: the longest sequence
 * @param typeVocabSize    BERT token types (2); unused by GPT-J
 * @param rotaryDim        GPT-J: rotated dims of every head (even, <= d); BERT: 0 (none, as BERT), or rotary on q
 *                         and k beside the learned absolute positions (RoFormer's relative positions)
 * @param layerNormEps     1e-12 (BERT) or 1e-5 (GPT-J)
 * @param hiddenDropout    BERT hidden_dropout_prob 0.1 (embeddings, attention output, MLP output, classifier);
 *                         GPT-J embd/resid pdrop (0 in the paper's configs)
 * @param attentionDropout dropout on attention probabilities; applied only when the attention exposes its
 *                         probabilities ({@link org.cottention.api.ProbabilityDropout}: softmax does, cosine does
 *                         not), which reproduces the reference (0.1 for softmax BERT, none for cosine BERT)
 * @param initRange        std of the N(0, std) init of weights and embeddings (0.02)
 * @param projectionInit   how the attention's projections are initialised (see {@link ProjectionInit})
 * @param initialM         initial value of every stabiliser parameter m ({@link StabilisedAttention#INITIAL_M})
 * @param padTokenId       BERT: the embedding row zeroed at init (HF padding_idx), or -1 for none
 * @param dataType         FLOAT for training, DOUBLE for gradient checks
 */
public record ModelConfig(Family family, int vocabSize, int hidden, int layers, int heads, int intermediate,
                          int maxPositions, int typeVocabSize, int rotaryDim, double layerNormEps,
                          double hiddenDropout, double attentionDropout, double initRange,
                          ProjectionInit projectionInit, double initialM, int padTokenId, DataType dataType) {

    public enum Family { BERT, GPTJ }

    /**
     * Initialisation of the attention projections (q, k, v, and GPT-J's out_proj). Whichever attention the model
     * holds, the choice is the same code path: the experiment or the command line picks it per run.
     */
    public enum ProjectionInit {
        /** N(0, initRange) weights and zero biases, as every other layer (HF's init): identical for every attention. */
        BASELINE,
        /**
         * PyTorch's default Linear init, U(±1/sqrt(fan_in)) weights and biases: what the reference code's cosine
         * modules get, because they are built after HF's init (paper-spec §3, §4). BERT's output dense stays HF's.
         */
        PYTORCH_DEFAULT
    }

    public ModelConfig {
        require(vocabSize > 0 && hidden > 0 && layers > 0 && heads > 0 && maxPositions > 0, "sizes must be positive");
        require(intermediate > 0 || family == Family.GPTJ && intermediate == 0,
                "intermediate must be positive (0, no MLP, only for GPT-J), got " + intermediate);
        require(hidden % heads == 0, "hidden " + hidden + " must be a multiple of heads " + heads);
        if (family == Family.GPTJ || rotaryDim != 0) {
            int d = hidden / heads;
            require(rotaryDim > 0 && rotaryDim % 2 == 0 && rotaryDim <= d && d % 2 == 0,
                    "rotary_dim must be even, > 0 and <= the head dim " + d + " (which must be even), got " + rotaryDim);
        }
        if (family == Family.BERT) require(typeVocabSize > 0, "type vocab must be positive");
        require(hiddenDropout >= 0 && hiddenDropout < 1 && attentionDropout >= 0 && attentionDropout < 1,
                "dropout rates must be in [0, 1)");
        require(layerNormEps > 0 && initRange > 0, "layer-norm eps and init range must be positive");
        require(dataType == DataType.FLOAT || dataType == DataType.DOUBLE, "dtype must be FLOAT or DOUBLE");
        require(padTokenId < vocabSize, "pad token id " + padTokenId + " >= vocab " + vocabSize);
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException("model config: " + message);
    }

    /** A BERT encoder with BERT-base's constants (eps 1e-12, dropouts 0.1, init 0.02, 2 token types). */
    public static ModelConfig bert(int vocab, int hidden, int layers, int heads, int intermediate, int maxPositions) {
        return new ModelConfig(Family.BERT, vocab, hidden, layers, heads, intermediate, maxPositions, 2, 0, 1e-12,
                0.1, 0.1, 0.02, ProjectionInit.BASELINE, StabilisedAttention.INITIAL_M, -1, DataType.FLOAT);
    }

    /** A GPT-J decoder with GPT-J's constants (eps 1e-5, no dropout, init 0.02). */
    public static ModelConfig gptj(int vocab, int hidden, int layers, int heads, int intermediate, int rotaryDim,
                                   int maxPositions) {
        return new ModelConfig(Family.GPTJ, vocab, hidden, layers, heads, intermediate, maxPositions, 0, rotaryDim,
                1e-5, 0.0, 0.0, 0.02, ProjectionInit.BASELINE, StabilisedAttention.INITIAL_M, -1, DataType.FLOAT);
    }

    /** BERT-base cased as the paper trained it (paper-spec §7.1): 108.9M parameters with the MLM and NSP heads. */
    public static ModelConfig bertBase() {
        return bert(28996, 768, 12, 12, 3072, 512).withPadTokenId(0);
    }

    /** The paper's "300M" GPT-J (paper-spec §7.2): 313.1M parameters. */
    public static ModelConfig gptj300m() {
        return gptj(50400, 1024, 20, 16, 3072, 64, 1024);
    }

    /** The paper's "1.2B" GPT-J (paper-spec §7.2, inferred from git history): 1213.4M parameters. */
    public static ModelConfig gptj1200m() {
        return gptj(50400, 2048, 20, 16, 8192, 64, 1024);
    }

    public int headDim() {
        return hidden / heads;
    }

    public ModelConfig withDataType(DataType dt) {
        return new ModelConfig(family, vocabSize, hidden, layers, heads, intermediate, maxPositions, typeVocabSize,
                rotaryDim, layerNormEps, hiddenDropout, attentionDropout, initRange, projectionInit, initialM,
                padTokenId, dt);
    }

    public ModelConfig withDropout(double hiddenRate, double attentionRate) {
        return new ModelConfig(family, vocabSize, hidden, layers, heads, intermediate, maxPositions, typeVocabSize,
                rotaryDim, layerNormEps, hiddenRate, attentionRate, initRange, projectionInit, initialM, padTokenId,
                dataType);
    }

    public ModelConfig withProjectionInit(ProjectionInit init) {
        return new ModelConfig(family, vocabSize, hidden, layers, heads, intermediate, maxPositions, typeVocabSize,
                rotaryDim, layerNormEps, hiddenDropout, attentionDropout, initRange, init, initialM, padTokenId,
                dataType);
    }

    public ModelConfig withInitialM(double m) {
        return new ModelConfig(family, vocabSize, hidden, layers, heads, intermediate, maxPositions, typeVocabSize,
                rotaryDim, layerNormEps, hiddenDropout, attentionDropout, initRange, projectionInit, m, padTokenId,
                dataType);
    }

    public ModelConfig withInitRange(double std) {
        return new ModelConfig(family, vocabSize, hidden, layers, heads, intermediate, maxPositions, typeVocabSize,
                rotaryDim, layerNormEps, hiddenDropout, attentionDropout, std, projectionInit, initialM, padTokenId,
                dataType);
    }

    /** BERT: rotary on q and k over rotaryDim dims of every head (0: none). */
    public ModelConfig withRotaryDim(int dims) {
        return new ModelConfig(family, vocabSize, hidden, layers, heads, intermediate, maxPositions, typeVocabSize,
                dims, layerNormEps, hiddenDropout, attentionDropout, initRange, projectionInit, initialM, padTokenId,
                dataType);
    }

    public ModelConfig withPadTokenId(int id) {
        return new ModelConfig(family, vocabSize, hidden, layers, heads, intermediate, maxPositions, typeVocabSize,
                rotaryDim, layerNormEps, hiddenDropout, attentionDropout, initRange, projectionInit, initialM, id,
                dataType);
    }

    /** Every field as text, for checkpoint manifests and logs. */
    public Map<String, String> toMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("family", family.name());
        m.put("vocab", Integer.toString(vocabSize));
        m.put("hidden", Integer.toString(hidden));
        m.put("layers", Integer.toString(layers));
        m.put("heads", Integer.toString(heads));
        m.put("intermediate", Integer.toString(intermediate));
        m.put("max_positions", Integer.toString(maxPositions));
        m.put("type_vocab", Integer.toString(typeVocabSize));
        m.put("rotary_dim", Integer.toString(rotaryDim));
        m.put("layer_norm_eps", Double.toString(layerNormEps));
        m.put("hidden_dropout", Double.toString(hiddenDropout));
        m.put("attention_dropout", Double.toString(attentionDropout));
        m.put("init_range", Double.toString(initRange));
        m.put("projection_init", projectionInit.name());
        m.put("initial_m", Double.toString(initialM));
        m.put("pad_token_id", Integer.toString(padTokenId));
        m.put("dtype", dataType.name());
        return m;
    }

    /** The inverse of {@link #toMap()}; a missing or malformed field is an IllegalArgumentException naming it. */
    public static ModelConfig fromMap(Map<String, String> m) {
        try {
            return new ModelConfig(Family.valueOf(get(m, "family")), integer(m, "vocab"), integer(m, "hidden"),
                    integer(m, "layers"), integer(m, "heads"), integer(m, "intermediate"), integer(m, "max_positions"),
                    integer(m, "type_vocab"), integer(m, "rotary_dim"), real(m, "layer_norm_eps"),
                    real(m, "hidden_dropout"), real(m, "attention_dropout"), real(m, "init_range"),
                    ProjectionInit.valueOf(get(m, "projection_init")), real(m, "initial_m"), integer(m, "pad_token_id"),
                    DataType.valueOf(get(m, "dtype").toUpperCase(Locale.ROOT)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("model config: malformed number (" + e.getMessage() + ")");
        }
    }

    private static String get(Map<String, String> m, String key) {
        String v = m.get(key);
        if (v == null) throw new IllegalArgumentException("model config: missing field " + key);
        return v;
    }

    private static int integer(Map<String, String> m, String key) {
        return Integer.parseInt(get(m, key));
    }

    private static double real(Map<String, String> m, String key) {
        return Double.parseDouble(get(m, key));
    }
}
