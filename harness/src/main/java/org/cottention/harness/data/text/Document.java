package org.cottention.harness.data.text;

/**
 * One document of the pretraining text: a Gutenberg book, a State of the Union address or a Brown text.
 *
 * @param id   "source/name", e.g. "gutenberg/carroll-alice", "sotu/1790_george_washington_n", "brown/ca01"
 * @param text plain text; paragraphs separated by blank lines
 */
public record Document(String id, String text) {
    /** The part of the id before the slash: gutenberg, sotu or brown. */
    public String source() {
        return id.substring(0, id.indexOf('/'));
    }
}
