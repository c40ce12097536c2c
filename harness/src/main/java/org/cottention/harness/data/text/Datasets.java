package org.cottention.harness.data.text;

import org.cottention.harness.data.DataRoot;

/** The three data sets, read and split: what models, training and {@code ./cottention data stats} use. */
public final class Datasets {
    private Datasets() {}

    /** Gutenberg + SOTU + Brown documents, whole documents held out ({@link Splits#languageModel}). */
    public static SplitSet<Document> pretraining(DataRoot data) {
        return Splits.languageModel(PretrainingText.read(data));
    }

    /** IMDB sentiment, deduplicated and split with a fixed seed ({@link Splits#imdb}). */
    public static SplitSet<Example> imdb(DataRoot data) {
        return Splits.imdb(ImdbReviews.read(data.require(ImdbReviews.FILE)));
    }

    /** LanguageTool acceptability, split by rule group ({@link Splits#byGroup}). */
    public static SplitSet<Example> acceptability(DataRoot data) {
        return Splits.byGroup(Acceptability.read(data.require(Acceptability.FILE)));
    }
}
