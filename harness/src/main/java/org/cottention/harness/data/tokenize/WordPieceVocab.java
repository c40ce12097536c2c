package org.cottention.harness.data.tokenize;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.cottention.harness.data.DataErrors;

/**
 * A WordPiece vocabulary: token string to id. Read from a BERT {@code vocab.txt} (one token per line, id = line
 * number) or from a Hugging Face {@code tokenizer.json} ({@code model.vocab}); both give bert-base-uncased here.
 */
public final class WordPieceVocab {
    public static final String PAD = "[PAD]", UNK = "[UNK]", CLS = "[CLS]", SEP = "[SEP]", MASK = "[MASK]";

    private final String[] tokens;            // id -> token
    private final Map<String, Integer> ids;   // token -> id

    public WordPieceVocab(List<String> tokensById) {
        this.tokens = tokensById.toArray(new String[0]);
        this.ids = new HashMap<>(tokens.length * 2);
        for (int i = 0; i < tokens.length; i++) {
            if (ids.put(tokens[i], i) != null) throw new IllegalArgumentException("duplicate token '" + tokens[i] + "'");
        }
        for (String special : List.of(PAD, UNK, CLS, SEP, MASK)) {
            if (!ids.containsKey(special)) throw new IllegalArgumentException("vocabulary has no " + special);
        }
    }

    /** Reads vocab.txt or tokenizer.json (by file name); a malformed file is a one-line error naming it. */
    public static WordPieceVocab load(Path file) {
        try {
            return file.getFileName().toString().endsWith(".json") ? fromTokenizerJson(file) : fromVocabTxt(file);
        } catch (IOException | JsonParseException | IllegalArgumentException | IllegalStateException e) {
            throw DataErrors.corrupt(file, "a readable WordPiece vocabulary", e);
        }
    }

    private static WordPieceVocab fromVocabTxt(Path file) throws IOException {
        List<String> tokens = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line; (line = r.readLine()) != null; ) tokens.add(line);
        }
        return new WordPieceVocab(tokens);
    }

    private static WordPieceVocab fromTokenizerJson(Path file) throws IOException {
        JsonObject root;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            root = JsonParser.parseReader(r).getAsJsonObject();
        }
        JsonObject model = root.getAsJsonObject("model");
        if (model == null || !"WordPiece".equals(model.get("type").getAsString())) {
            throw new IllegalArgumentException("model.type is not WordPiece");
        }
        JsonObject vocab = model.getAsJsonObject("vocab");
        String[] byId = new String[vocab.size()];
        for (Map.Entry<String, JsonElement> e : vocab.entrySet()) {
            int id = e.getValue().getAsInt();
            if (id < 0 || id >= byId.length || byId[id] != null) {
                throw new IllegalArgumentException("ids are not 0.." + (byId.length - 1) + " once each (id " + id + ")");
            }
            byId[id] = e.getKey();
        }
        return new WordPieceVocab(Arrays.asList(byId));
    }

    public int size() {
        return tokens.length;
    }

    /** The id of a token, or -1. */
    public int id(String token) {
        Integer id = ids.get(token);
        return id == null ? -1 : id;
    }

    public String token(int id) {
        return tokens[id];
    }
}
