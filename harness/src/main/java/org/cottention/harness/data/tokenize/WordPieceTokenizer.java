package org.cottention.harness.data.tokenize;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * BERT uncased tokenization: the basic tokenizer (Hugging Face {@code BertNormalizer} with clean_text, CJK
 * spacing, accent stripping and lower-casing, then {@code BertPreTokenizer}: split on whitespace and around every
 * punctuation character) followed by greedy longest-match-first WordPiece with the "##" continuation prefix. A
 * word longer than 100 characters, or one that cannot be covered by vocabulary pieces, becomes [UNK]. With the
 * bert-base-uncased vocabulary it reproduces that tokenizer's ids ("i like strawberries" -> 1045 2066 13137
 * 20968); the test compares a few hundred cases with ids from Hugging Face's own tokenizer.
 */
public final class WordPieceTokenizer implements Tokenizer {
    public static final String NAME = "bert-wordpiece";
    static final int MAX_INPUT_CHARS_PER_WORD = 100;
    private static final String CONTINUATION = "##";

    private final WordPieceVocab vocab;
    public final int pad, unk, cls, sep, mask;

    public WordPieceTokenizer(WordPieceVocab vocab) {
        this.vocab = vocab;
        this.pad = vocab.id(WordPieceVocab.PAD);
        this.unk = vocab.id(WordPieceVocab.UNK);
        this.cls = vocab.id(WordPieceVocab.CLS);
        this.sep = vocab.id(WordPieceVocab.SEP);
        this.mask = vocab.id(WordPieceVocab.MASK);
    }

    public WordPieceVocab vocab() {
        return vocab;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int vocabSize() {
        return vocab.size();
    }

    /** [PAD], [UNK], [CLS], [SEP] and [MASK]: never masked by MLM nor drawn as its random replacement. */
    public boolean isSpecial(int id) {
        return id == pad || id == unk || id == cls || id == sep || id == mask;
    }

    @Override
    public int endOfText() {
        return sep;
    }

    @Override
    public int[] encode(String text) {
        List<String> words = basicTokenize(text);
        int[] out = new int[Math.max(16, words.size() * 2)];
        int n = 0;
        int[] pieces = new int[MAX_INPUT_CHARS_PER_WORD];
        for (String word : words) {
            int k = wordPiece(word, pieces);
            if (n + k > out.length) out = java.util.Arrays.copyOf(out, Math.max(out.length * 2, n + k));
            System.arraycopy(pieces, 0, out, n, k);
            n += k;
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** The pieces as strings, e.g. [straw, ##berries]: for tests and debugging. */
    public List<String> tokenize(String text) {
        List<String> out = new ArrayList<>();
        for (int id : encode(text)) out.add(vocab.token(id));
        return out;
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            String t = vocab.token(id);
            if (t.startsWith(CONTINUATION)) sb.append(t, CONTINUATION.length(), t.length());
            else sb.append(sb.length() == 0 ? "" : " ").append(t);
        }
        return sb.toString();
    }

    /** Normalizer + pre-tokenizer: the words WordPiece sees. */
    static List<String> basicTokenize(String text) {
        String normal = normalize(text);
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        for (int i = 0; i < normal.length(); ) {
            int c = normal.codePointAt(i);
            i += Character.charCount(c);
            if (isWhitespace(c)) {
                flush(word, words);
            } else if (isPunctuation(c)) {
                flush(word, words);
                words.add(new String(Character.toChars(c)));
            } else {
                word.appendCodePoint(c);
            }
        }
        flush(word, words);
        return words;
    }

    private static void flush(StringBuilder word, List<String> words) {
        if (word.length() > 0) {
            words.add(word.toString());
            word.setLength(0);
        }
    }

    /** BertNormalizer(clean_text, handle_chinese_chars, strip_accents = lowercase = true), in that order. */
    static String normalize(String text) {
        StringBuilder sb = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            i += Character.charCount(c);
            if (c == 0 || c == 0xFFFD || isControl(c)) continue;
            if (isWhitespace(c)) sb.append(' ');
            else if (isChineseChar(c)) sb.append(' ').appendCodePoint(c).append(' ');
            else sb.appendCodePoint(c);
        }
        String decomposed = Normalizer.normalize(sb, Normalizer.Form.NFD);
        StringBuilder stripped = new StringBuilder(decomposed.length());
        for (int i = 0; i < decomposed.length(); ) {
            int c = decomposed.codePointAt(i);
            i += Character.charCount(c);
            if (Character.getType(c) != Character.NON_SPACING_MARK) stripped.appendCodePoint(c);
        }
        return stripped.toString().toLowerCase(Locale.ROOT);
    }

    /** Greedy longest-match-first; writes the word's ids into out and returns their count ([UNK] alone if none). */
    private int wordPiece(String word, int[] out) {
        int chars = word.codePointCount(0, word.length());
        if (chars > MAX_INPUT_CHARS_PER_WORD) {
            out[0] = unk;
            return 1;
        }
        int n = 0;
        int start = 0;
        while (start < word.length()) {
            int end = word.length();
            int found = -1;
            while (end > start) {
                String piece = word.substring(start, end);
                found = vocab.id(start > 0 ? CONTINUATION + piece : piece);
                if (found >= 0) break;
                end = word.offsetByCodePoints(end, -1);
            }
            if (found < 0) {
                out[0] = unk;
                return 1;
            }
            out[n++] = found;
            start = end;
        }
        return n;
    }

    /** The Unicode White_Space property (Rust's char::is_whitespace, which the Hugging Face tokenizers use). */
    static boolean isWhitespace(int c) {
        return (c >= 0x9 && c <= 0xD) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F
                || c == 0x3000;
    }

    /** Unicode "other" categories (Cc, Cf, Cs, Co, Cn) except the whitespace controls \t \n \r. */
    static boolean isControl(int c) {
        if (c == '\t' || c == '\n' || c == '\r') return false;
        int t = Character.getType(c);
        return t == Character.CONTROL || t == Character.FORMAT || t == Character.SURROGATE
                || t == Character.PRIVATE_USE || t == Character.UNASSIGNED;
    }

    /** ASCII punctuation (including $ + < = > ^ ` | ~) and Unicode punctuation (Pc Pd Ps Pe Pi Pf Po). */
    static boolean isPunctuation(int c) {
        if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
        int t = Character.getType(c);
        return t == Character.CONNECTOR_PUNCTUATION || t == Character.DASH_PUNCTUATION
                || t == Character.START_PUNCTUATION || t == Character.END_PUNCTUATION
                || t == Character.INITIAL_QUOTE_PUNCTUATION || t == Character.FINAL_QUOTE_PUNCTUATION
                || t == Character.OTHER_PUNCTUATION;
    }

    /** The CJK Unified Ideograph blocks that BERT surrounds with spaces. */
    static boolean isChineseChar(int c) {
        return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF)
                || (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF)
                || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
    }
}
