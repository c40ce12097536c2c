package org.cottention.harness.data.text;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.cottention.harness.CliException;

/**
 * A user's labelled examples for {@code train --task classify}: TSV ({@code .tsv}, {@code .txt}) or CSV
 * ({@code .csv}) with a text and a label column, or JSON lines ({@code .jsonl}, {@code .json}: one object per line).
 * A first row naming a text column (text, sentence, review, content, or --text-column) and a label column (label,
 * labels, class, category, sentiment, or --label-column) is the header; without one, a two-column file is read as
 * text, label. Labels may have any names; {@link Labels} maps them to class ids in sorted order. Every problem (a
 * missing column, an empty file, an empty text) is one line naming the file, the line and the fix.
 */
public final class LabelledFile {
    private LabelledFile() {}

    static final List<String> TEXT_NAMES = List.of("text", "sentence", "review", "content");
    static final List<String> LABEL_NAMES = List.of("label", "labels", "class", "category", "sentiment");

    /** One example as written: its text, its label's name, and where it came from (for messages). */
    public record Row(String text, String label, long line) {}

    /** The examples of a file, in order. textColumn, labelColumn: a header name or a 1-based index, or null. */
    public static List<Row> read(Path file, String flag, String textColumn, String labelColumn) {
        if (!Files.isRegularFile(file)) throw new CliException(flag + " " + file + ": no such file");
        String content;
        try {
            content = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new CliException(flag + " " + file + ": is not UTF-8 text; save it as UTF-8");
        } catch (IOException e) {
            throw new CliException(flag + " " + file + ": cannot read (" + e.getMessage() + ")");
        }
        if (content.startsWith("\uFEFF")) content = content.substring(1);
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        List<Row> rows = name.endsWith(".jsonl") || name.endsWith(".json")
                ? jsonLines(file, flag, content, textColumn, labelColumn)
                : delimited(file, flag, content, name.endsWith(".csv") ? ',' : '\t', textColumn, labelColumn);
        if (rows.isEmpty()) {
            throw new CliException(flag + " " + file + ": no examples (an empty file, or a header only); each line needs "
                    + "a text and a label");
        }
        return rows;
    }

    private static List<Row> delimited(Path file, String flag, String content, char delimiter, String textColumn,
                                       String labelColumn) {
        List<CSVRecord> records;
        try (Reader r = new java.io.StringReader(content)) {
            records = CSVFormat.DEFAULT.builder().setDelimiter(delimiter).setIgnoreEmptyLines(true)
                    .setQuote(delimiter == '\t' ? null : '"').get().parse(r).getRecords();
        } catch (IOException | java.io.UncheckedIOException | IllegalStateException e) {
            throw new CliException(flag + " " + file + ": not valid " + (delimiter == ',' ? "CSV" : "TSV") + " ("
                    + e.getMessage() + ")");
        }
        if (records.isEmpty()) return List.of();
        List<String> first = records.get(0).toList();
        int text = find(first, textColumn, TEXT_NAMES), label = find(first, labelColumn, LABEL_NAMES);
        boolean header = text >= 0 && label >= 0;
        if (!header) {
            text = index(textColumn, first.size());
            label = index(labelColumn, first.size());
            if (text < 0 && label < 0 && first.size() == 2) {
                text = 0;
                label = 1;
            }
        }
        if (text < 0 || label < 0) {
            throw new CliException(flag + " " + file + ": no " + (text < 0 ? "text" : "label") + " column (first row: "
                    + String.join(delimiter == ',' ? ", " : " | ", first) + "); add a header naming a text and a label "
                    + "column, or pick them with --text-column and --label-column (a name or a 1-based index)");
        }
        List<Row> rows = new ArrayList<>();
        for (int i = header ? 1 : 0; i < records.size(); i++) {
            CSVRecord r = records.get(i);
            long line = r.getRecordNumber() + 0;
            if (r.size() <= Math.max(text, label)) {
                throw new CliException(flag + " " + file + ": record " + line + " has " + r.size() + " column(s), "
                        + "fewer than the " + (Math.max(text, label) + 1) + " the text and label need");
            }
            rows.add(row(file, flag, r.get(text), r.get(label), line));
        }
        return rows;
    }

    private static List<Row> jsonLines(Path file, String flag, String content, String textColumn, String labelColumn) {
        List<Row> rows = new ArrayList<>();
        String[] lines = content.split("\r?\n");
        String textKey = null, labelKey = null;
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) continue;
            JsonObject o;
            try {
                JsonElement e = JsonParser.parseString(lines[i]);
                if (!e.isJsonObject()) throw new JsonParseException("not an object");
                o = e.getAsJsonObject();
            } catch (JsonParseException | IllegalStateException e) {
                throw new CliException(flag + " " + file + ": line " + (i + 1) + " is not a JSON object (JSON lines: "
                        + "one {\"text\": ..., \"label\": ...} per line)");
            }
            if (textKey == null) {
                List<String> keys = new ArrayList<>(o.keySet());
                int t = find(keys, textColumn, TEXT_NAMES), l = find(keys, labelColumn, LABEL_NAMES);
                if (t < 0 || l < 0) {
                    throw new CliException(flag + " " + file + ": line " + (i + 1) + " has no " + (t < 0 ? "text" : "label")
                            + " key (keys: " + String.join(", ", keys) + "); name them with --text-column and --label-column");
                }
                textKey = keys.get(t);
                labelKey = keys.get(l);
            }
            JsonElement t = o.get(textKey), l = o.get(labelKey);
            if (t == null || l == null || !t.isJsonPrimitive() || !l.isJsonPrimitive()) {
                throw new CliException(flag + " " + file + ": line " + (i + 1) + " lacks a plain '" + (t == null
                        || !t.isJsonPrimitive() ? textKey : labelKey) + "' value");
            }
            rows.add(row(file, flag, t.getAsString(), l.getAsString(), i + 1));
        }
        return rows;
    }

    private static Row row(Path file, String flag, String text, String label, long line) {
        if (text.isBlank()) throw new CliException(flag + " " + file + ": empty text at record " + line + "; remove the row");
        if (label.isBlank()) throw new CliException(flag + " " + file + ": empty label at record " + line + "; label it or remove it");
        return new Row(text, label.strip(), line);
    }

    /** The column named (or numbered, 1-based) by given, else the first of the usual names; -1 if none. */
    private static int find(List<String> header, String given, List<String> usual) {
        List<String> lower = header.stream().map(h -> h.strip().toLowerCase(Locale.ROOT)).toList();
        if (given != null) return lower.indexOf(given.strip().toLowerCase(Locale.ROOT));
        for (String name : usual) {
            int at = lower.indexOf(name);
            if (at >= 0) return at;
        }
        return -1;
    }

    private static int index(String given, int columns) {
        if (given == null || !given.matches("\\d+")) return -1;
        int i = Integer.parseInt(given) - 1;
        return i >= 0 && i < columns ? i : -1;
    }

    /**
     * The classes: the training file's label names, sorted (numbers by value), each mapped to its index. A
     * validation label missing from them is an error naming it.
     */
    public record Labels(List<String> names) {
        public static Labels of(List<Row> train, Path file, String flag) {
            TreeSet<String> names = new TreeSet<>(Labels::compare);
            for (Row r : train) names.add(r.label());
            if (names.size() < 2) {
                throw new CliException(flag + " " + file + ": every example has the label '" + names.first()
                        + "'; classification needs at least two labels");
            }
            return new Labels(List.copyOf(names));
        }

        public int[] ids(List<Row> rows, Path file, String flag) {
            int[] out = new int[rows.size()];
            for (int i = 0; i < out.length; i++) {
                Row r = rows.get(i);
                out[i] = names.indexOf(r.label());
                if (out[i] < 0) {
                    throw new CliException(flag + " " + file + ": label '" + r.label() + "' (record " + r.line() + ") "
                            + "does not occur in the training file (labels: " + String.join(", ", names) + "); add "
                            + "training examples with it or drop those rows");
                }
            }
            return out;
        }

        /** "negative=0 (120), positive=1 (80)": each name, its id and its count in rows. */
        public String describe(int[] ids) {
            Map<Integer, Integer> count = new TreeMap<>();
            for (int y : ids) count.merge(y, 1, Integer::sum);
            List<String> parts = new ArrayList<>();
            for (int k = 0; k < names.size(); k++) parts.add(names.get(k) + "=" + k + " (" + count.getOrDefault(k, 0) + ")");
            return String.join(", ", parts);
        }

        private static int compare(String a, String b) {
            boolean na = a.matches("-?\\d+(\\.\\d+)?"), nb = b.matches("-?\\d+(\\.\\d+)?");
            if (na && nb) return Double.compare(Double.parseDouble(a), Double.parseDouble(b));
            return a.compareTo(b);
        }
    }
}
