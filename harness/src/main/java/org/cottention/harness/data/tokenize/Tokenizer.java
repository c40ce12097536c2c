package org.cottention.harness.data.tokenize;

/**
 * Text to token ids and back. {@link #encode} adds no special tokens: the batch builders add [CLS]/[SEP] or the
 * end-of-text token where their format wants them.
 */
public interface Tokenizer {
    /** The name that {@link Tokenizers#byName} takes. */
    String name();

    /** Number of ids: every id is in [0, vocabSize). */
    int vocabSize();

    /** Token ids of the text, no special tokens added. */
    int[] encode(String text);

    /** Text of the ids (lossy for WordPiece: lower case, no accents, spaces around punctuation). */
    String decode(int[] ids);

    /** The id that ends a document in causal-LM windows and pads them (paper-spec §8.3: pad = eos). */
    int endOfText();
}
