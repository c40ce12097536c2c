package org.cottention.reference;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The paper's published numbers as data (paper-spec §9), read from {@code paper-results.csv} next to this class.
 * Values read off plots are marked "(approximate)" in their source column. No field contains a comma.
 */
public final class PaperResults {
    private PaperResults() {}

    /** One published figure. */
    public record Entry(String table, String model, String attention, String metric, double value, String unit,
                        String source) {}

    private static final List<Entry> ENTRIES = load();

    public static List<Entry> all() {
        return ENTRIES;
    }

    public static Optional<Entry> find(String table, String model, String attention, String metric) {
        return ENTRIES.stream()
                .filter(e -> e.table.equals(table) && e.model.equals(model) && e.attention.equals(attention)
                        && e.metric.equals(metric))
                .findFirst();
    }

    private static List<Entry> load() {
        try (InputStream in = PaperResults.class.getResourceAsStream("paper-results.csv")) {
            if (in == null) throw new IllegalStateException("paper-results.csv missing from the reference jar");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            List<Entry> out = new ArrayList<>();
            String header = r.readLine();
            if (!"table,model,attention,metric,value,unit,source".equals(header)) {
                throw new IllegalStateException("paper-results.csv: unexpected header " + header);
            }
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank()) continue;
                String[] f = line.split(",", -1);
                if (f.length != 7) throw new IllegalStateException("paper-results.csv: bad row " + line);
                out.add(new Entry(f[0], f[1], f[2], f[3], Double.parseDouble(f[4]), f[5], f[6]));
            }
            return List.copyOf(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
