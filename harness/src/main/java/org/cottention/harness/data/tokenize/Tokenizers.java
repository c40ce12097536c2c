package org.cottention.harness.data.tokenize;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cottention.harness.CliException;
import org.cottention.harness.data.DataRoot;

/** The tokenizers by name: {@value ByteTokenizer#NAME}, {@value Gpt2BpeTokenizer#NAME}, {@value WordPieceTokenizer#NAME}. */
public final class Tokenizers {
    private Tokenizers() {}

    public static final List<String> NAMES = List.of(ByteTokenizer.NAME, Gpt2BpeTokenizer.NAME, WordPieceTokenizer.NAME);
    static final String BERT_DIR = "tokenizers/bert-base-uncased";
    static final String BERT_JSON = "all-minilm-l6-v2-q-tokenizer.json";

    public static Tokenizer byName(String name, DataRoot data) {
        return switch (name) {
            case ByteTokenizer.NAME -> new ByteTokenizer();
            case Gpt2BpeTokenizer.NAME -> new Gpt2BpeTokenizer();
            case WordPieceTokenizer.NAME -> bert(data);
            default -> throw new CliException("data: unknown tokenizer '" + name + "'; known: " + String.join(", ", NAMES));
        };
    }

    /** bert-base-uncased WordPiece from the data root (tokenizer.json installed, vocab.txt in the fixture). */
    public static WordPieceTokenizer bert(DataRoot data) {
        Path dir = data.require(BERT_DIR);
        Path json = dir.resolve(BERT_JSON);
        return new WordPieceTokenizer(WordPieceVocab.load(Files.exists(json) ? json : data.require(BERT_DIR + "/vocab.txt")));
    }
}
