package org.cottention.harness.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import org.cottention.harness.Cli;
import org.cottention.harness.Options;
import org.cottention.harness.data.DataRoot;
import org.cottention.harness.data.text.Datasets;
import org.cottention.harness.data.text.Document;
import org.cottention.harness.data.text.Example;
import org.cottention.harness.data.text.PretrainingText;
import org.cottention.harness.data.text.Split;
import org.cottention.harness.data.text.SplitSet;
import org.cottention.harness.data.tokenize.Tokenizer;
import org.cottention.harness.data.tokenize.Tokenizers;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ./cottention data stats}: per data set and split, the counts, tokens under each tokenizer, labels. */
@Command(name = "data", description = "data sets, splits and tokenizers: 'data stats' counts them",
        synopsisSubcommandLabel = "stats", commandListHeading = "%nsubcommands:%n")
public final class DataCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    private DataCommand() {}

    /** {@code data} and its subcommand {@code stats}. */
    public static CommandLine commandLine(PrintStream out) {
        return new CommandLine(new DataCommand()).addSubcommand("stats", new Stats(out));
    }

    /** {@code ./cottention data} alone: its help, and exit code 2 (a subcommand is needed). */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return Cli.USAGE;
    }

    @Command(name = "stats", description = "counts per data set and split: documents, characters, tokens, labels",
            footerHeading = "%n",
            footer = "Reads the data installed by scripts/setup-data.sh (default <repo>/data, or "
                    + "$COTTENTION_DATA, or --data DIR) and prints, per data set and split: documents or "
                    + "examples, characters, tokens under each tokenizer (no special tokens added), label "
                    + "balance, and the SHA-256 of the split's ids (first 12 hex digits). --fixture reads "
                    + "the small fixture corpus built into the harness instead (never implicit).")
    static final class Stats implements Callable<Integer> {
        @Option(names = "--data", paramLabel = "DIR", description = "the data folder (default: $COTTENTION_DATA, "
                + "else <repo>/data)")
        String dataDir;
        @Option(names = "--fixture", description = "the fixture corpus built into the harness")
        boolean fixture;
        @Option(names = "--tokenizers", paramLabel = "NAMES", description = "comma-separated (default: all of "
                + "byte, gpt2, bert-wordpiece)")
        String tokenizers;

        private final PrintStream out;

        Stats(PrintStream out) {
            this.out = out;
        }

        @Override
        public Integer call() {
            return DataCommand.stats(this, out);
        }
    }

    private static int stats(Stats a, PrintStream out) {
        Options.exclusive("--fixture", a.fixture, "--data", a.dataDir != null, "");
        long t0 = System.nanoTime();
        DataRoot data = dataRoot(a);
        List<Tokenizer> toks = new ArrayList<>();
        for (String name : (a.tokenizers == null ? String.join(",", Tokenizers.NAMES) : a.tokenizers).split(",")) {
            toks.add(Tokenizers.byName(name.trim(), data));
        }
        out.println("data: " + data.describe());
        out.print("tokenizers:");
        for (Tokenizer t : toks) out.print(" " + t.name() + " (vocab " + t.vocabSize() + ")");
        out.println();
        out.println("tokens: ids from encode(), no [CLS]/[SEP]/end-of-text; ids-sha256: SHA-256 of the split's ids, one per line");

        StringBuilder header = new StringBuilder(String.format("%-14s %-10s %7s %11s", "dataset", "split", "items", "chars"));
        for (Tokenizer t : toks) header.append(String.format(" %14s", t.name()));
        header.append(String.format("  %-30s %s", "labels", "ids-sha256"));

        out.println();
        out.println("pretraining text: documents; whole documents held out per source (docs/data.md, Splits.languageModel)");
        out.println(header);
        SplitSet<Document> lm = Datasets.pretraining(data);
        for (String source : PretrainingText.SOURCES) {
            for (Split split : Split.values()) {
                List<Document> docs = lm.get(split).stream().filter(d -> d.source().equals(source)).toList();
                out.println(row(source, split, docs, Document::text, toks, "-",
                        docs.stream().map(Document::id).toList()));
            }
        }
        out.println();
        out.println("classification: examples; label 0/1 = imdb negative/positive, acceptability unacceptable/acceptable");
        out.println(header);
        exampleRows(out, "imdb", Datasets.imdb(data), toks);
        exampleRows(out, "acceptability", Datasets.acceptability(data), toks);
        out.printf("%nread from %s in %.1f s%n", data.describe(), (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    private static void exampleRows(PrintStream out, String name, SplitSet<Example> set, List<Tokenizer> toks) {
        for (Split split : Split.values()) {
            List<Example> ex = set.get(split);
            long pos = ex.stream().filter(e -> e.label() == 1).count();
            String labels = String.format("0: %d, 1: %d (%.1f%% 1)", ex.size() - pos, pos,
                    ex.isEmpty() ? 0.0 : 100.0 * pos / ex.size());
            out.println(row(name, split, ex, e -> e.isPair() ? e.text() + " " + e.textB() : e.text(), toks, labels,
                    ex.stream().map(Example::id).toList()));
        }
    }

    private static <T> String row(String name, Split split, List<T> items, Function<T, String> text,
                                  List<Tokenizer> toks, String labels, List<String> ids) {
        long chars = items.stream().mapToLong(i -> text.apply(i).length()).sum();
        StringBuilder sb = new StringBuilder(String.format("%-14s %-10s %7d %11d", name, split.label(), items.size(), chars));
        for (Tokenizer t : toks) {
            long n = items.parallelStream().mapToLong(i -> t.encode(text.apply(i)).length).sum();
            sb.append(String.format(" %14d", n));
        }
        sb.append(String.format("  %-30s %s", labels, org.cottention.harness.data.text.Splits.digest(ids).substring(0, 12)));
        return sb.toString();
    }

    /** {@code --fixture}, else {@code --data DIR}, else $COTTENTION_DATA, else {@code <repo>/data}. */
    static DataRoot dataRoot(Stats a) {
        if (a.fixture) return DataRoot.fixture();
        if (a.dataDir != null) return DataRoot.installed(Path.of(a.dataDir));
        return DataRoot.installed(DataRoot.defaultDir());
    }
}
