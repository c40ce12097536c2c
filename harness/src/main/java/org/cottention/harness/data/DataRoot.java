package org.cottention.harness.data;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.cottention.harness.CliException;

/**
 * Where the data is read from: the directory that {@code scripts/setup-data.sh} installs ({@code <repo>/data},
 * {@code $COTTENTION_DATA} or {@code --data DIR}), or, only when asked for with {@code --fixture}, the small
 * fixture corpus built into the harness (public-domain excerpts and hand-written examples, same layout). A
 * missing installation is an error that names the fix; it never falls back to the fixture by itself.
 *
 * <p>Layout (both): {@code gutenberg/*.txt}, {@code sotu/*.txt}, {@code brown/c??} (POS-tagged),
 * {@code imdb/reviews.json}, {@code languagetool/grammar.xml}, and the bert-base-uncased vocabulary as
 * {@code tokenizers/bert-base-uncased/all-minilm-l6-v2-q-tokenizer.json} (installed) or {@code vocab.txt}
 * (fixture).
 */
public final class DataRoot {
    public static final String FIXTURE_RESOURCE = "org/cottention/harness/data/fixture";
    public static final String SETUP = "scripts/setup-data.sh";

    private final Path dir;
    private final boolean fixture;

    private DataRoot(Path dir, boolean fixture) {
        this.dir = dir;
        this.fixture = fixture;
    }

    /** An installed data directory; it must exist. */
    public static DataRoot installed(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new CliException("data: no data installed in " + dir + "; run " + SETUP
                    + " (or pass --fixture to use the small built-in fixture corpus)");
        }
        return new DataRoot(dir.toAbsolutePath().normalize(), false);
    }

    /** The fixture corpus on the classpath (a directory, or a folder inside the harness jar). */
    public static DataRoot fixture() {
        URL url = DataRoot.class.getClassLoader().getResource(FIXTURE_RESOURCE + "/README.md");
        if (url == null) throw new IllegalStateException("the fixture corpus is missing from the classpath");
        try {
            URI uri = url.toURI();
            Path readme;
            if ("jar".equals(uri.getScheme())) {
                try {
                    readme = FileSystems.getFileSystem(uri).provider().getPath(uri);
                } catch (FileSystemNotFoundException e) {
                    readme = FileSystems.newFileSystem(uri, Map.of()).provider().getPath(uri);
                }
            } else {
                readme = Path.of(uri);
            }
            return new DataRoot(readme.getParent(), true);
        } catch (URISyntaxException | IOException e) {
            throw new IllegalStateException("cannot open the fixture corpus at " + url, e);
        }
    }

    /** $COTTENTION_DATA, else data/ in the repository that holds this build, else ./data. */
    public static Path defaultDir() {
        String env = System.getenv("COTTENTION_DATA");
        if (env != null && !env.isBlank()) return Path.of(env);
        return repositoryRoot().map(r -> r.resolve("data")).orElse(Path.of("data"));
    }

    /** The repository this build runs from (harness/target/classes is inside it), if there is one. */
    public static Optional<Path> repositoryRoot() {
        try {
            Path code = Path.of(DataRoot.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path p = code.toAbsolutePath(); p != null; p = p.getParent()) {
                if (Files.isRegularFile(p.resolve(SETUP))) return Optional.of(p);
            }
        } catch (URISyntaxException | RuntimeException e) {
            // not run from a checkout
        }
        return Optional.empty();
    }

    public boolean isFixture() {
        return fixture;
    }

    public Path dir() {
        return dir;
    }

    /** A file or directory under the root; a missing one is an error naming the fix. */
    public Path require(String relative) {
        Path p = dir.resolve(relative);
        if (!Files.exists(p)) {
            throw new CliException("data: " + p + " is missing; " + (fixture
                    ? "the built-in fixture is incomplete (rebuild the harness)"
                    : "run " + SETUP + " to install it (or pass --fixture to use the small built-in fixture corpus)"));
        }
        return p;
    }

    /** One line for logs: where the data comes from. */
    public String describe() {
        return fixture ? "built-in fixture corpus (" + FIXTURE_RESOURCE + ", requested with --fixture)"
                : dir + " (installed by " + SETUP + ")";
    }

    @Override
    public String toString() {
        return describe();
    }
}
