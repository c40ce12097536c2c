package org.cottention.harness.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.knuddels.jtokkit.Encodings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.cottention.harness.CliException;
import org.cottention.harness.data.tokenize.ByteTokenizer;
import org.cottention.harness.data.tokenize.Gpt2BpeTokenizer;
import org.cottention.harness.data.tokenize.Tokenizer;
import org.cottention.harness.data.tokenize.Tokenizers;
import org.cottention.harness.data.tokenize.WordPieceTokenizer;
import org.cottention.harness.data.tokenize.WordPieceVocab;
import org.junit.jupiter.api.Test;

class TokenizerTest {

    @Test
    void bertReproducesTheKnownExample() {
        WordPieceTokenizer t = TestData.bert();
        assertEquals(30522, t.vocabSize());
        assertEquals(List.of(0, 100, 101, 102, 103), List.of(t.pad, t.unk, t.cls, t.sep, t.mask));
        assertArrayEquals(new int[] {1045, 2066, 13137, 20968}, t.encode("i like strawberries"));
        assertEquals(List.of("i", "like", "straw", "##berries"), t.tokenize("I LIKE Strawberries"));
    }

    /**
     * 1 918 words, sentences and hard cases (punctuation, accents, CJK, other scripts, control and zero-width
     * characters, words over 100 characters, unknown words) with ids from Hugging Face's tokenizer
     * (scripts/dev/wordpiece-expected.mjs).
     */
    @Test
    void bertMatchesHuggingFaceOnEveryFixtureCase() throws Exception {
        WordPieceTokenizer t = TestData.bert();
        List<String> lines = Files.readAllLines(TestData.resource("wordpiece-expected.jsonl"), StandardCharsets.UTF_8);
        assertTrue(lines.size() > 300, "fixture has " + lines.size() + " cases");
        List<String> mismatches = new ArrayList<>();
        int unknown = 0;
        for (String line : lines) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            String text = o.get("text").getAsString();
            int[] expected = new int[o.getAsJsonArray("ids").size()];
            for (int i = 0; i < expected.length; i++) expected[i] = o.getAsJsonArray("ids").get(i).getAsInt();
            int[] got = t.encode(text);
            for (int id : expected) if (id == t.unk) unknown++;
            if (!java.util.Arrays.equals(expected, got)) {
                mismatches.add(text + " expected " + java.util.Arrays.toString(expected) + " got " + java.util.Arrays.toString(got));
            }
        }
        assertTrue(unknown > 3, "the cases include unknown words");
        assertEquals(List.of(), mismatches.subList(0, Math.min(10, mismatches.size())), mismatches.size() + " mismatches");
    }

    @Test
    void bertWordRules() {
        WordPieceTokenizer t = TestData.bert();
        String longWord = "a" + "b".repeat(100);   // 101 characters: over max_input_chars_per_word
        assertArrayEquals(new int[] {t.unk}, t.encode(longWord));
        assertEquals(List.of("hello", ",", "world", "!"), t.tokenize("Héllo,wörld!"));
        assertEquals("hello , world !", t.decode(t.encode("Hello, world!")));
        assertEquals(List.of("straw", "##berries"), t.tokenize("straw\u200bberries"));   // zero-width space removed
    }

    @Test
    void fixtureVocabularyIsBertBaseUncased() throws Exception {
        Path vocab = TestData.FIXTURE.require("tokenizers/bert-base-uncased/vocab.txt");
        String md5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(Files.readAllBytes(vocab)));
        assertEquals("64800d5d8528ce344256daf115d4965e", md5);   // shared/docs/data-sources.md c1
    }

    @Test
    void vocabularyFromTokenizerJson() {
        WordPieceTokenizer t = new WordPieceTokenizer(WordPieceVocab.load(TestData.resource("tiny-tokenizer.json")));
        assertArrayEquals(new int[] {7, 8, 5, 6, 9, 1}, t.encode("I like strawberries, zebras"));
    }

    @Test
    void truncatedTokenizerJsonIsAOneLineError() {
        Path bad = TestData.resource("truncated-tokenizer.json");
        CliException e = assertThrows(CliException.class, () -> WordPieceVocab.load(bad));
        assertTrue(e.getMessage().contains(bad.toString()) && e.getMessage().contains("setup-data.sh"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void unknownTokenizerNameListsTheKnownOnes() {
        CliException e = assertThrows(CliException.class, () -> Tokenizers.byName("sentencepiece", TestData.FIXTURE));
        assertTrue(e.getMessage().contains("'sentencepiece'") && e.getMessage().contains("byte, gpt2, bert-wordpiece"),
                e.getMessage());
    }

    @Test
    void gpt2IdsAreGpt2s() {
        Tokenizer t = Tokenizers.byName("gpt2", TestData.FIXTURE);
        assertEquals(50257, t.vocabSize());
        assertEquals(50256, t.endOfText());
        assertArrayEquals(new int[] {15496, 995}, t.encode("Hello world"));   // GPT-2's encoder.json: Hello, Ġworld
        assertArrayEquals(new int[] {27, 91, 437, 1659, 5239, 91, 29}, t.encode("<|endoftext|>"));   // text, not special
        String text = "Cæsar, my Lord — naïve 😀\n";
        assertEquals(text, t.decode(t.encode(text)));
    }

    /** The GPT-2 ranks come from the jtokkit jar on the classpath: it must be the pinned one. */
    @Test
    void jtokkitJarIsThePinnedOne() throws Exception {
        Path jar = Path.of(Encodings.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(jar)));
        assertEquals("1501ce0259ab897c6746ccfafa1d208acd404fb17e1ac62e157172f2678b1183", sha, jar.toString());
    }

    @Test
    void byteTokenizerIsUtf8() {
        Tokenizer t = Tokenizers.byName(ByteTokenizer.NAME, TestData.FIXTURE);
        assertEquals(256, t.vocabSize());
        assertArrayEquals(new int[] {67, 195, 166}, t.encode("Cæ"));
        assertEquals("Cæsar 😀", t.decode(t.encode("Cæsar 😀")));
        assertEquals(0, t.endOfText());
        assertEquals(Gpt2BpeTokenizer.NAME, Tokenizers.byName("gpt2", TestData.FIXTURE).name());
    }
}
