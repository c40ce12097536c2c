package org.cottention.harness.data.batch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Byte-level text for first training runs and tests (until the data module's tokenizers are wired in): token id =
 * byte value 0..255, plus special ids above it. Split into a training part and a held-out tail.
 */
public final class ByteText {
    /** Padding (GPT: also the end-of-text token). */
    public static final int PAD = 256;
    /** BERT specials. */
    public static final int CLS = 257, SEP = 258, MASK = 259;
    /** Vocabulary of a byte-level GPT: 256 bytes + PAD. */
    public static final int GPT_VOCAB = 257;
    /** Vocabulary of a byte-level BERT: 256 bytes + PAD, CLS, SEP, MASK. */
    public static final int BERT_VOCAB = 260;

    private final byte[] train, heldOut;
    private final String source;

    private ByteText(String source, byte[] all, double heldOutFraction) {
        this.source = source;
        int cut = (int) Math.round(all.length * (1 - heldOutFraction));
        this.train = Arrays.copyOfRange(all, 0, cut);
        this.heldOut = Arrays.copyOfRange(all, cut, all.length);
    }

    /** Reads a text file; the last heldOutFraction of its bytes is the held-out part. */
    public static ByteText read(Path file, double heldOutFraction) throws IOException {
        return new ByteText(file.toString(), Files.readAllBytes(file), heldOutFraction);
    }

    /**
     * Several files read as one text, in the given order, a newline between two files; the last heldOutFraction of
     * the whole is held out (so, mostly the last file's end).
     */
    public static ByteText read(java.util.List<Path> files, String source, double heldOutFraction) throws IOException {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < files.size(); i++) {
            if (i > 0) all.write('\n');
            all.write(Files.readAllBytes(files.get(i)));
        }
        return new ByteText(source, all.toByteArray(), heldOutFraction);
    }

    public static ByteText of(String name, byte[] bytes, double heldOutFraction) {
        return new ByteText(name, bytes.clone(), heldOutFraction);
    }

    /** Documents as one stream of UTF-8 byte ids (0..255), a blank line between two documents. */
    public static int[] join(java.util.List<String> documents) {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < documents.size(); i++) {
            if (i > 0) all.write('\n');
            if (i > 0) all.write('\n');
            all.writeBytes(documents.get(i).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return ids(all.toByteArray());
    }

    public String source() {
        return source;
    }

    /** Token ids of the training part (0..255). */
    public int[] train() {
        return ids(train);
    }

    /** Token ids of the held-out part (0..255). */
    public int[] heldOut() {
        return ids(heldOut);
    }

    private static int[] ids(byte[] b) {
        int[] out = new int[b.length];
        for (int i = 0; i < b.length; i++) out[i] = b[i] & 0xFF;
        return out;
    }
}
