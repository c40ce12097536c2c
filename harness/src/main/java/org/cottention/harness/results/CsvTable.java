package org.cottention.harness.results;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.cottention.harness.io.AtomicFiles;

/**
 * A CSV table with a fixed column list: rows are maps from column to value, every row also gets the
 * {@link Provenance} columns, and the file is written atomically (RFC 4180 via commons-csv).
 */
public final class CsvTable {
    private final List<String> columns = new ArrayList<>();
    private final List<Map<String, String>> rows = new ArrayList<>();

    /** @param columns the table's own columns; the provenance columns are appended after them */
    public CsvTable(List<String> columns) {
        this.columns.addAll(columns);
        this.columns.addAll(Provenance.columns().keySet());
    }

    public List<String> columns() {
        return List.copyOf(columns);
    }

    /** Adds a row; values may be String or Number; missing columns stay empty; unknown ones are an error. */
    public void add(Map<String, ?> row) {
        Map<String, String> r = new LinkedHashMap<>(Provenance.columns());
        for (Map.Entry<String, ?> e : row.entrySet()) {
            if (!columns.contains(e.getKey())) throw new IllegalArgumentException("no column " + e.getKey());
            r.put(e.getKey(), format(e.getValue()));
        }
        rows.add(r);
    }

    public List<Map<String, String>> rows() {
        return List.copyOf(rows);
    }

    public String toCsv() {
        StringWriter w = new StringWriter();
        try (CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT.builder().setHeader(columns.toArray(String[]::new)).get())) {
            for (Map<String, String> r : rows) {
                List<String> values = new ArrayList<>();
                for (String c : columns) values.add(r.getOrDefault(c, ""));
                p.printRecord(values);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return w.toString();
    }

    public void write(Path file) throws IOException {
        AtomicFiles.writeString(file, toCsv());
    }

    static String format(Object v) {
        if (v == null) return "";
        if (v instanceof Double d) {
            if (d.isNaN() || d.isInfinite()) return "";
            return Math.abs(d) >= 1e-3 && Math.abs(d) < 1e7 || d == 0 ? String.format(java.util.Locale.ROOT, "%.6g", d)
                    .replaceAll("(\\.\\d*?)0+$", "$1").replaceAll("\\.$", "") : String.format(java.util.Locale.ROOT, "%.6e", d);
        }
        return v.toString();
    }
}
