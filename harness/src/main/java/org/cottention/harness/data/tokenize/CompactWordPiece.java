package org.cottention.harness.data.tokenize;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * bert-base-uncased WordPiece restricted to the pieces a corpus uses most: the maxPieces most frequent pieces of
 * the corpus under the full vocabulary, plus every single-character piece of it ("a", "##a", ...) so that every
 * word the full vocabulary can spell is still spelled (greedy longest match then falls back to shorter pieces),
 * plus [UNK]. Ids are compact, in the layout of {@link org.cottention.harness.data.batch.ByteText}: the text pieces
 * are 0..V-1 ([UNK] one of them) and [PAD], [CLS], [SEP], [MASK] are V, V+1, V+2, V+3. The same corpus and
 * maxPieces give the same vocabulary (ties broken by the full vocabulary's id).
 */
public final class CompactWordPiece implements Tokenizer {
    public static final String NAME = "bert-wordpiece-compact";

    private final WordPieceTokenizer tokenizer;
    private final int textVocab;

    private CompactWordPiece(WordPieceTokenizer tokenizer, int textVocab) {
        this.tokenizer = tokenizer;
        this.textVocab = textVocab;
    }

    /** The vocabulary of the texts' maxPieces most frequent pieces (and the single characters and [UNK]). */
    public static CompactWordPiece fit(WordPieceTokenizer full, List<String> texts, int maxPieces) {
        WordPieceVocab v = full.vocab();
        long[] counts = new long[v.size()];
        for (String t : texts) for (int id : full.encode(t)) counts[id]++;
        List<Integer> byFrequency = new ArrayList<>();
        for (int id = 0; id < counts.length; id++) if (counts[id] > 0 && !full.isSpecial(id)) byFrequency.add(id);
        byFrequency.sort(Comparator.<Integer>comparingLong(id -> -counts[id]).thenComparingInt(id -> id));
        Set<String> kept = new LinkedHashSet<>();
        kept.add(WordPieceVocab.UNK);
        for (int id = 0; id < v.size(); id++) {
            String piece = v.token(id);
            String body = piece.startsWith("##") ? piece.substring(2) : piece;
            if (!full.isSpecial(id) && body.codePointCount(0, body.length()) == 1) kept.add(piece);
        }
        for (int id : byFrequency) {
            if (kept.size() >= maxPieces + 1) break;       // + [UNK]
            kept.add(v.token(id));
        }
        List<String> tokens = new ArrayList<>(kept);
        int text = tokens.size();
        tokens.addAll(List.of(WordPieceVocab.PAD, WordPieceVocab.CLS, WordPieceVocab.SEP, WordPieceVocab.MASK));
        return new CompactWordPiece(new WordPieceTokenizer(new WordPieceVocab(tokens)), text);
    }

    @Override
    public String name() {
        return NAME;
    }

    /** V: the text pieces; the specials follow at V..V+3. */
    public int textVocab() {
        return textVocab;
    }

    /** Every id, the specials included: V + 4. */
    @Override
    public int vocabSize() {
        return textVocab + 4;
    }

    @Override
    public int[] encode(String text) {
        return tokenizer.encode(text);
    }

    @Override
    public String decode(int[] ids) {
        return tokenizer.decode(ids);
    }

    @Override
    public int endOfText() {
        return tokenizer.sep;
    }

    /** The pieces, id order (for tests and logs). */
    public List<String> pieces() {
        List<String> out = new ArrayList<>();
        for (int id = 0; id < textVocab; id++) out.add(tokenizer.vocab().token(id));
        return out;
    }
}
