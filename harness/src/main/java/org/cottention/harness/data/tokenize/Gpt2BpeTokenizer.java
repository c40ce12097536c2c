package org.cottention.harness.data.tokenize;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;

/**
 * GPT-2 byte-level BPE through jtokkit's r50k_base ranks (identical to GPT-2's encoder.json, see
 * shared/docs/data-sources.md c3). Vocabulary 50 257: the 50 256 ranks plus {@code <|endoftext|>} = 50256, the
 * end-of-text and padding id. Text that happens to contain "<|endoftext|>" is encoded as ordinary text.
 */
public final class Gpt2BpeTokenizer implements Tokenizer {
    public static final String NAME = "gpt2";
    public static final int END_OF_TEXT = 50256;

    private final Encoding encoding = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int vocabSize() {
        return END_OF_TEXT + 1;
    }

    @Override
    public int[] encode(String text) {
        return encoding.encodeOrdinary(text).toArray();
    }

    @Override
    public String decode(int[] ids) {
        IntArrayList list = new IntArrayList(ids.length);
        for (int id : ids) list.add(id);
        return encoding.decode(list);
    }

    @Override
    public int endOfText() {
        return END_OF_TEXT;
    }
}
