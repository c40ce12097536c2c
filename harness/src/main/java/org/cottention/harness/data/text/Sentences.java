package org.cottention.harness.data.text;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Sentence splitting for BERT's sentence pairs (paper-spec §8.1: a regex on . ! ? with abbreviation and decimal
 * exceptions, and blank lines). A blank line always ends a sentence; inside a paragraph, a sentence ends after a
 * word that ends in . ! or ? (optionally followed by closing quotes or brackets) when the next word starts with an
 * upper-case letter, a digit or an opening quote or bracket, unless the word is a known abbreviation ("Mr.",
 * "e.g.") or a single-letter initial ("J."). A decimal point never ends a sentence (no space follows it).
 */
public final class Sentences {
    private Sentences() {}

    private static final Pattern PARAGRAPH = Pattern.compile("\\n\\s*\\n");
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");
    private static final Set<String> ABBREVIATIONS = Set.of("mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "rev",
            "gen", "col", "capt", "lt", "sgt", "gov", "sen", "rep", "hon", "messrs", "mt", "vs", "etc", "e.g", "i.e",
            "viz", "no", "vol", "ch", "fig", "p", "pp", "u.s", "jan", "feb", "mar", "apr", "aug", "sept", "sep", "oct",
            "nov", "dec", "inc", "co", "corp", "ltd", "esq", "a.m", "p.m", "cf", "al", "op", "cit", "ibid");

    public static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        for (String paragraph : PARAGRAPH.split(text)) {
            String[] words = WHITESPACE.split(paragraph.trim());
            StringBuilder sentence = new StringBuilder();
            for (int i = 0; i < words.length; i++) {
                if (words[i].isEmpty()) continue;
                if (sentence.length() > 0) sentence.append(' ');
                sentence.append(words[i]);
                if (i + 1 < words.length && endsSentence(words[i], words[i + 1])) {
                    out.add(sentence.toString());
                    sentence.setLength(0);
                }
            }
            if (sentence.length() > 0) out.add(sentence.toString());
        }
        return out;
    }

    /** Number of whitespace-separated words. */
    public static int wordCount(String sentence) {
        String t = sentence.trim();
        return t.isEmpty() ? 0 : WHITESPACE.split(t).length;
    }

    private static boolean endsSentence(String word, String next) {
        int end = word.length();
        while (end > 0 && "\"')]}".indexOf(word.charAt(end - 1)) >= 0) end--;
        if (end == 0) return false;
        char p = word.charAt(end - 1);
        if (p != '.' && p != '!' && p != '?') return false;
        int c = next.codePointAt(0);
        if (!(Character.isUpperCase(c) || Character.isDigit(c) || "\"'([`".indexOf(c) >= 0)) return false;
        if (p != '.') return true;
        int start = 0;
        while (start < end && "\"'([{".indexOf(word.charAt(start)) >= 0) start++;
        String stem = word.substring(start, end - 1);
        if (stem.length() == 1 && Character.isLetter(stem.charAt(0))) return false;   // an initial: "J."
        return !ABBREVIATIONS.contains(stem.toLowerCase(java.util.Locale.ROOT));
    }
}
