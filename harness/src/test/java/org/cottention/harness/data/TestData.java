package org.cottention.harness.data;

import java.net.URISyntaxException;
import java.nio.file.Path;
import org.cottention.harness.data.tokenize.Tokenizers;
import org.cottention.harness.data.tokenize.WordPieceTokenizer;

/** Shared test inputs: the built-in fixture corpus and the test resources under data/. */
final class TestData {
    private TestData() {}

    static final DataRoot FIXTURE = DataRoot.fixture();
    private static WordPieceTokenizer bert;

    static synchronized WordPieceTokenizer bert() {
        if (bert == null) bert = Tokenizers.bert(FIXTURE);
        return bert;
    }

    static Path resource(String name) {
        try {
            return Path.of(TestData.class.getClassLoader().getResource("data/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test resource data/" + name, e);
        }
    }
}
