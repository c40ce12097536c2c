package org.cottention.harness.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.cottention.harness.CliException;
import org.cottention.harness.data.text.Acceptability;
import org.cottention.harness.data.text.Datasets;
import org.cottention.harness.data.text.Document;
import org.cottention.harness.data.text.Example;
import org.cottention.harness.data.text.ImdbReviews;
import org.cottention.harness.data.text.PretrainingText;
import org.cottention.harness.data.text.Sentences;
import org.cottention.harness.data.text.Split;
import org.cottention.harness.data.text.SplitSet;
import org.cottention.harness.data.text.Splits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Readers and splits on the built-in fixture corpus (never on the downloaded data). */
class DatasetsTest {

    @Test
    void pretrainingTextIsReadAndUntagged() {
        List<Document> docs = PretrainingText.read(TestData.FIXTURE);
        assertEquals(13, docs.size());
        Document caesar = docs.stream().filter(d -> d.id().equals("gutenberg/shakespeare-caesar")).findFirst().orElseThrow();
        assertTrue(caesar.text().contains("Cæsar, my Lord"), "Latin-1 Gutenberg text decoded");
        Document brown = docs.stream().filter(d -> d.id().equals("brown/cb01")).findFirst().orElseThrow();
        assertTrue(brown.text().startsWith("BUSTER BEAR GOES FISHING Buster Bear yawned"), brown.text());
        assertFalse(brown.text().contains("/nn"));
        assertEquals("The Fulton County said \" no evidence \" of 1/2 .",
                PretrainingText.untagBrown("\tThe/at Fulton/np-tl County/nn-tl said/vbd ``/`` no/at evidence/nn ''/'' of/in 1/2/cd ./."));
    }

    @Test
    void sentencesSplitOnPunctuationButNotAbbreviationsOrDecimals() {
        assertEquals(List.of("Mr. Smith paid 3.50 dollars.", "Then he left!", "Did he?", "Yes."),
                Sentences.split("Mr. Smith paid 3.50 dollars. Then he left! Did he? Yes."));
        assertEquals(List.of("J. R. Tolkien wrote it.", "A new line", "starts a sentence at a blank line"),
                Sentences.split("J. R. Tolkien wrote it.  A new line\n\nstarts a sentence\nat a blank line"));
        assertEquals(List.of("\"Stop.\"", "She did."), Sentences.split("\"Stop.\" She did."));
        assertEquals(4, Sentences.wordCount("  one two  three four "));
    }

    @Test
    void imdbIsCleanedDeduplicatedAndSplitWithoutLeaks() {
        List<Example> raw = ImdbReviews.read(TestData.FIXTURE.require(ImdbReviews.FILE));
        assertEquals(41, raw.size());
        assertTrue(raw.stream().noneMatch(e -> e.text().contains("<br")));
        SplitSet<Example> s = Datasets.imdb(TestData.FIXTURE);
        // 41 reviews - 1 exact duplicate - 1 duplicate after <br /> removal - 2 copies of a text with both labels
        assertEquals(37, s.train().size() + s.validation().size() + s.test().size());
        assertEquals(List.of(29, 4, 4), List.of(s.train().size(), s.validation().size(), s.test().size()));
        assertNoTextInTwoSplits(s);
    }

    @Test
    void acceptabilityKeepsMarkersSkipsJokesAndFalseAlarmsAndSplitsByRuleGroup() {
        List<Example> all = Acceptability.read(TestData.FIXTURE.require(Acceptability.FILE));
        assertTrue(all.stream().anyMatch(e -> e.text().equals("He waited for a hour.") && e.label() == 0));
        assertTrue(all.stream().anyMatch(e -> e.text().equals("I ate an apple.") && e.label() == 1));
        assertTrue(all.stream().noneMatch(e -> e.text().contains("BMW")), "APRIL category skipped");
        assertTrue(all.stream().noneMatch(e -> e.text().contains("3rd")), "triggers_error skipped");
        assertTrue(all.stream().anyMatch(e -> e.text().equals("The cat sat down down.") && e.label() == 0),
                "empty correction attribute still marks an error");
        assertTrue(all.stream().allMatch(e -> e.id().startsWith(e.group() + "#")));
        SplitSet<Example> s = Datasets.acceptability(TestData.FIXTURE);
        assertEquals(all.size(), s.train().size() + s.validation().size() + s.test().size());
        Set<String> seen = new HashSet<>();
        for (Split split : Split.values()) {
            Set<String> groups = new HashSet<>();
            for (Example e : s.get(split)) groups.add(e.group());
            for (String g : groups) assertTrue(seen.add(g), "rule group " + g + " in two splits");
        }
        assertNoTextInTwoSplits(s);
    }

    /** The split ids of the fixture, pinned: a change to a split rule must show up here. */
    @Test
    void splitIdsArePinned() {
        SplitSet<Document> lm = Datasets.pretraining(TestData.FIXTURE);
        assertEquals(List.of("brown/cn01", "gutenberg/shakespeare-caesar", "sotu/1790_george_washington_n"), lm.validation().stream().map(Document::id).toList());
        assertEquals(List.of("brown/cb01", "gutenberg/melville-moby_dick", "sotu/1863_abraham_lincoln_r"), lm.test().stream().map(Document::id).toList());
        assertEquals("9e243275d25b", lm.digest(Split.TRAIN, Document::id).substring(0, 12));
        assertEquals("5c8bfc0b129d", lm.digest(Split.VALIDATION, Document::id).substring(0, 12));
        assertEquals("cb76b7600781", lm.digest(Split.TEST, Document::id).substring(0, 12));
        SplitSet<Example> imdb = Datasets.imdb(TestData.FIXTURE);
        assertEquals("efb403981552", imdb.digest(Split.TRAIN, Example::id).substring(0, 12));
        assertEquals("6691456be18a", imdb.digest(Split.VALIDATION, Example::id).substring(0, 12));
        assertEquals("b0e70682d5b4", imdb.digest(Split.TEST, Example::id).substring(0, 12));
        SplitSet<Example> acc = Datasets.acceptability(TestData.FIXTURE);
        assertEquals("6a075c27f367", acc.digest(Split.TRAIN, Example::id).substring(0, 12));
        assertEquals("8130a0ffee2e", acc.digest(Split.VALIDATION, Example::id).substring(0, 12));
        assertEquals("b47726862c07", acc.digest(Split.TEST, Example::id).substring(0, 12));
    }

    @Test
    void languageModelSplitDoesNotDependOnInputOrderAndKeepsHugeDocumentsInTrain() {
        List<Document> docs = new ArrayList<>(PretrainingText.read(TestData.FIXTURE));
        SplitSet<Document> a = Splits.languageModel(docs);
        Collections.shuffle(docs, new Random(7));
        assertEquals(a, Splits.languageModel(docs));
        for (Split split : List.of(Split.VALIDATION, Split.TEST)) {
            for (String source : PretrainingText.SOURCES) {
                assertTrue(a.get(split).stream().anyMatch(d -> d.source().equals(source)), source + " in " + split);
            }
        }
        // a source of 20 documents, one of them 30 times longer than the others
        List<Document> synthetic = new ArrayList<>();
        for (int i = 0; i < 20; i++) synthetic.add(new Document("s/d" + i, "x".repeat(i == 13 ? 3000 : 100)));
        SplitSet<Document> s = Splits.languageModel(synthetic);
        assertTrue(s.train().stream().anyMatch(d -> d.id().equals("s/d13")));
        assertEquals(20, s.train().size() + s.validation().size() + s.test().size());
        assertFalse(s.validation().isEmpty() || s.test().isEmpty());
    }

    @Test
    void truncatedOrInvalidJsonIsAOneLineErrorNamingTheFile() {
        for (String name : List.of("truncated-reviews.json", "bad-label-reviews.json")) {
            Path bad = TestData.resource(name);
            CliException e = assertThrows(CliException.class, () -> ImdbReviews.read(bad));
            assertTrue(e.getMessage().startsWith("data: " + bad) && e.getMessage().contains("setup-data.sh"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        }
    }

    @Test
    void malformedXmlIsAOneLineErrorNamingTheFile() {
        Path bad = TestData.resource("broken-grammar.xml");
        CliException e = assertThrows(CliException.class, () -> Acceptability.read(bad));
        assertTrue(e.getMessage().startsWith("data: " + bad), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void missingDataNamesTheSetupAndTheFixtureFlag(@TempDir Path tmp) {
        CliException e = assertThrows(CliException.class, () -> DataRoot.installed(tmp.resolve("nope")));
        assertTrue(e.getMessage().contains("scripts/setup-data.sh") && e.getMessage().contains("--fixture"), e.getMessage());
        CliException e2 = assertThrows(CliException.class, () -> Datasets.imdb(DataRoot.installed(tmp)));
        assertTrue(e2.getMessage().contains(tmp.resolve("imdb/reviews.json").toString()), e2.getMessage());
    }

    private static void assertNoTextInTwoSplits(SplitSet<Example> s) {
        Set<String> seen = new HashSet<>();
        for (Split split : Split.values()) {
            for (Example e : s.get(split)) assertTrue(seen.add(e.text()), "text in two places: " + e.text());
        }
    }
}
