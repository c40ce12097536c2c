package org.cottention.harness.data.text;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The deterministic train / validation / test splits (docs/data.md states the same rules). None depends on the
 * order in which files are listed, on the machine or on the JDK: hashes are SHA-256, the one shuffle uses
 * {@link Random} with a fixed seed (its sequence is part of the Java specification).
 */
public final class Splits {
    private Splits() {}

    /** Share of each source's characters held out for LM validation and for LM test. */
    public static final double LM_HELD_OUT_FRACTION = 0.05;
    /** IMDB: shuffle seed and the share of reviews in validation and in test. */
    public static final long IMDB_SEED = 20240927L;
    public static final double IMDB_HELD_OUT_FRACTION = 0.10;
    /** Acceptability: a rule group goes to test if its hash is 0 mod 10, validation if 1, else train. */
    public static final int ACCEPTABILITY_BUCKETS = 10;

    /**
     * Language-model splits by whole documents, per source: documents in order of SHA-256 of their id; those
     * longer than twice the source's mean length stay in train (so the KJV Bible is never a third of a held-out
     * split); test takes documents in that order until it holds 5% of the source's characters, then validation
     * likewise, each leaving at least one document for the next split and train; the rest is train. A source
     * with fewer than three eligible documents goes to train whole. Each split is sorted by id.
     */
    public static SplitSet<Document> languageModel(List<Document> docs) {
        Map<String, List<Document>> bySource = new LinkedHashMap<>();
        for (Document d : docs) bySource.computeIfAbsent(d.source(), s -> new ArrayList<>()).add(d);
        List<Document> train = new ArrayList<>(), validation = new ArrayList<>(), test = new ArrayList<>();
        for (List<Document> source : bySource.values()) {
            long total = 0;
            for (Document d : source) total += d.text().length();
            double mean = (double) total / source.size(), target = LM_HELD_OUT_FRACTION * total;
            List<Document> eligible = new ArrayList<>();
            for (Document d : source) {
                if (d.text().length() <= 2 * mean) eligible.add(d);
                else train.add(d);
            }
            eligible.sort(Comparator.comparing(d -> sha256Hex(d.id())));
            int next = 0;
            if (eligible.size() >= 3) {
                next = take(eligible, next, target, 2, test);
                next = take(eligible, next, target, 1, validation);
            }
            train.addAll(eligible.subList(next, eligible.size()));
        }
        for (List<Document> l : List.of(train, validation, test)) l.sort(Comparator.comparing(Document::id));
        return new SplitSet<>(train, validation, test);
    }

    /** Moves documents from index next into out until out holds target characters or only keep are left. */
    private static int take(List<Document> docs, int next, double target, int keep, List<Document> out) {
        long chars = 0;
        while (chars < target && docs.size() - next > keep) {
            Document d = docs.get(next++);
            out.add(d);
            chars += d.text().length();
        }
        return next;
    }

    /**
     * IMDB: duplicates removed ({@link Example#deduplicate}), then shuffled with {@link #IMDB_SEED}; the first
     * 10% is test, the next 10% validation, the rest train (each in shuffled order).
     */
    public static SplitSet<Example> imdb(List<Example> reviews) {
        List<Example> all = new ArrayList<>(Example.deduplicate(reviews));
        Collections.shuffle(all, new Random(IMDB_SEED));
        int held = (int) Math.round(IMDB_HELD_OUT_FRACTION * all.size());
        return new SplitSet<>(all.subList(2 * held, all.size()), all.subList(held, 2 * held), all.subList(0, held));
    }

    /**
     * By group (the LanguageTool rule group): the first 8 bytes of SHA-256 of the group id, as an unsigned
     * number mod 10, send the whole group to test (0), validation (1) or train (2-9). Duplicates are removed
     * first; each split keeps file order.
     */
    public static SplitSet<Example> byGroup(List<Example> examples) {
        List<Example> train = new ArrayList<>(), validation = new ArrayList<>(), test = new ArrayList<>();
        for (Example e : Example.deduplicate(examples)) {
            long bucket = Long.remainderUnsigned(hash64(e.group()), ACCEPTABILITY_BUCKETS);
            (bucket == 0 ? test : bucket == 1 ? validation : train).add(e);
        }
        return new SplitSet<>(train, validation, test);
    }

    /** SHA-256 (hex) of the ids, one per line. */
    public static String digest(List<String> ids) {
        return sha256Hex(String.join("\n", ids));
    }

    static String sha256Hex(String s) {
        return HexFormat.of().formatHex(sha256(s));
    }

    private static long hash64(String s) {
        byte[] h = sha256(s);
        long v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | (h[i] & 0xff);
        return v;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
