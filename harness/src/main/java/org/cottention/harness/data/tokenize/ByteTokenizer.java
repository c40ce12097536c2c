package org.cottention.harness.data.tokenize;

import java.nio.charset.StandardCharsets;

/**
 * Byte-level tokenizer for small CPU language models: id = the UTF-8 byte (vocabulary 256). Byte 0 (NUL) is the
 * end-of-text and padding id; the corpora contain no NUL.
 */
public final class ByteTokenizer implements Tokenizer {
    public static final String NAME = "byte";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int vocabSize() {
        return 256;
    }

    @Override
    public int[] encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) ids[i] = bytes[i] & 0xff;
        return ids;
    }

    @Override
    public String decode(int[] ids) {
        byte[] bytes = new byte[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] > 255) throw new IllegalArgumentException("byte id out of range: " + ids[i]);
            bytes[i] = (byte) ids[i];
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public int endOfText() {
        return 0;
    }
}
