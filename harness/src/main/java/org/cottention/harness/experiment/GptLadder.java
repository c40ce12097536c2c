package org.cottention.harness.experiment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The GPT experiment's analysis, as pure functions of its rows (tested with synthetic rows in GptLadderTest): the
 * best learning rate per (rung, attention) from the sweep, the ladder's final rows per (rung, attention, seed), the
 * paired per-rung gaps in test bits per byte with their t-intervals, and the slope of the gap against
 * ln(non-embedding parameters) with its interval.
 */
final class GptLadder {
    private GptLadder() {}

    /** A final row of the baseline arm at the attention's best learning rate: one point of the ladder. */
    record Point(String rung, String attention, int seed, long nonEmbedding, double testBitsPerByte, boolean diverged,
                 Map<String, String> row) {}

    /** A rung's paired comparison: the gap cosine - softmax in test bits per byte over the seeds both finished. */
    record Gap(String rung, long nonEmbedding, Stats.Interval gap, int pairs, int diverged, double cosine, double softmax) {}

    static List<Map<String, String>> finals(List<Map<String, String>> rows) {
        return rows.stream().filter(r -> "final".equals(r.get("phase"))).toList();
    }

    /** rung -> attention -> best learning rate on the validation set (a diverged run never wins). */
    static Map<String, Map<String, Double>> bestLearningRates(List<Map<String, String>> rows) {
        Map<String, Map<String, Double>> out = new LinkedHashMap<>();
        Map<String, List<Map<String, String>>> groups = new LinkedHashMap<>();
        for (Map<String, String> r : finals(rows)) {
            if (!"sweep".equals(r.get("role"))) continue;
            groups.computeIfAbsent(r.get("rung") + "\u0000" + r.get("attention"), k -> new ArrayList<>()).add(r);
        }
        groups.forEach((k, g) -> {
            String[] p = k.split("\u0000");
            GptExperiment.bestLearningRate(g).ifPresent(lr -> out.computeIfAbsent(p[0], x -> new LinkedHashMap<>()).put(p[1], lr));
        });
        return out;
    }

    /**
     * The ladder's points: every ladder run, and, for a swept rung, its sweep run at the best learning rate (seed 1).
     */
    static List<Point> points(List<Map<String, String>> rows) {
        Map<String, Map<String, Double>> best = bestLearningRates(rows);
        List<Point> out = new ArrayList<>();
        for (Map<String, String> r : finals(rows)) {
            if (!GptExperiment.BASELINE.equals(r.get("arm"))) continue;
            boolean ladder = "ladder".equals(r.get("role"));
            boolean bestSweep = "sweep".equals(r.get("role")) && best.containsKey(r.get("rung"))
                    && Double.valueOf(Double.parseDouble(r.get("lr"))).equals(best.get(r.get("rung")).get(r.get("attention")));
            if (!ladder && !bestSweep) continue;
            boolean diverged = !"ok".equals(r.get("status"));
            out.add(new Point(r.get("rung"), r.get("attention"), Integer.parseInt(r.get("seed")),
                    Long.parseLong(r.get("non_embedding_parameters")),
                    diverged ? Double.NaN : Double.parseDouble(r.get("test_bits_per_byte")), diverged, r));
        }
        return out;
    }

    /** Per rung, in order of size: the paired gaps over the seeds where neither attention diverged. */
    static List<Gap> gaps(List<Point> points) {
        Map<Long, String> rungs = new TreeMap<>();
        for (Point p : points) rungs.put(p.nonEmbedding(), p.rung());
        List<Gap> out = new ArrayList<>();
        for (Map.Entry<Long, String> e : rungs.entrySet()) {
            Map<Integer, Point> cos = bySeed(points, e.getValue(), "cosine"), soft = bySeed(points, e.getValue(), "softmax");
            List<Double> a = new ArrayList<>(), b = new ArrayList<>();
            int diverged = 0;
            for (int seed : cos.keySet()) {
                if (!soft.containsKey(seed)) continue;
                if (cos.get(seed).diverged() || soft.get(seed).diverged()) {
                    diverged++;
                    continue;
                }
                a.add(cos.get(seed).testBitsPerByte());
                b.add(soft.get(seed).testBitsPerByte());
            }
            double[] x = a.stream().mapToDouble(Double::doubleValue).toArray(), y = b.stream().mapToDouble(Double::doubleValue).toArray();
            out.add(new Gap(e.getValue(), e.getKey(), Stats.pairedDifference(x, y), x.length, diverged, mean(x), mean(y)));
        }
        return out;
    }

    private static Map<Integer, Point> bySeed(List<Point> points, String rung, String attention) {
        Map<Integer, Point> out = new TreeMap<>();
        for (Point p : points) if (p.rung().equals(rung) && p.attention().equals(attention)) out.put(p.seed(), p);
        return out;
    }

    static double mean(double[] x) {
        return x.length == 0 ? Double.NaN : java.util.Arrays.stream(x).average().orElse(Double.NaN);
    }

    /**
     * The slope of the per-seed gap (cosine - softmax, bits per byte) against ln(non-embedding parameters), over
     * every pair of every rung, with its 95 % interval; the pairs of a rung share its x.
     */
    static Stats.Interval slope(List<Point> points) {
        List<double[]> xy = new ArrayList<>();
        Map<String, Map<Integer, Point>> cos = new LinkedHashMap<>(), soft = new LinkedHashMap<>();
        for (Point p : points) {
            (p.attention().equals("cosine") ? cos : soft).computeIfAbsent(p.rung(), k -> new TreeMap<>()).put(p.seed(), p);
        }
        for (String rung : cos.keySet()) {
            for (Map.Entry<Integer, Point> c : cos.get(rung).entrySet()) {
                Point s = soft.getOrDefault(rung, Map.of()).get(c.getKey());
                if (s == null || c.getValue().diverged() || s.diverged()) continue;
                xy.add(new double[] {Math.log(c.getValue().nonEmbedding()), c.getValue().testBitsPerByte() - s.testBitsPerByte()});
            }
        }
        if (xy.stream().map(p -> p[0]).distinct().count() < 2) return new Stats.Interval(xy.size(), Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        return Stats.slope(xy.stream().mapToDouble(p -> p[0]).toArray(), xy.stream().mapToDouble(p -> p[1]).toArray());
    }

    /** The paper's GPT gaps (paper-spec §9.2) in nats per BPE token, and per byte at about 4 bytes per token. */
    static final double PAPER_GAP_300M_NATS = Math.log(11.6 / 10.3), PAPER_GAP_1200M_NATS = Math.log(9.9 / 9.1);
    static final double BYTES_PER_TOKEN = 4.0;

    /** A gap in nats per token as bits per byte. */
    static double bitsPerByte(double natsPerToken) {
        return natsPerToken / BYTES_PER_TOKEN / Math.log(2);
    }

    /** "S 0.0123 [0.001, 0.023] (n 2)" for each rung. */
    static String describe(List<Gap> gaps) {
        StringBuilder sb = new StringBuilder();
        for (Gap g : gaps) {
            if (sb.length() > 0) sb.append("; ");
            sb.append(String.format(Locale.ROOT, "%s (%,d params) %s", g.rung(), g.nonEmbedding(),
                    Verdict.describe(g.gap(), "%+.4f")));
            if (g.diverged() > 0) sb.append(" (").append(g.diverged()).append(" pair(s) with a diverged run left out)");
        }
        return sb.toString();
    }

    /** The shared-learning-rate rows: the sweep's final rows at lr, per rung, cosine and softmax. */
    static Map<String, double[]> sharedLr(List<Map<String, String>> rows, double lr) {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (Map<String, String> r : finals(rows)) {
            if (!"sweep".equals(r.get("role")) || Math.abs(Double.parseDouble(r.get("lr")) - lr) > 1e-12 * lr) continue;
            double[] v = out.computeIfAbsent(r.get("rung"), k -> new double[] {Double.NaN, Double.NaN});
            double bpb = "ok".equals(r.get("status")) ? Double.parseDouble(r.get("test_bits_per_byte")) : Double.NaN;
            v["cosine".equals(r.get("attention")) ? 0 : 1] = bpb;
        }
        return out;
    }

    /** An arm's final rows against the baseline cosine at the same rung, paired by seed: arm - baseline. */
    static Optional<Stats.Interval> armEffect(List<Map<String, String>> rows, String arm) {
        List<Point> base = points(rows);
        Map<Integer, Double> a = new TreeMap<>(), b = new TreeMap<>();
        String rung = null;
        for (Map<String, String> r : finals(rows)) {
            if (!arm.equals(r.get("arm")) || !"ok".equals(r.get("status"))) continue;
            rung = r.get("rung");
            a.put(Integer.parseInt(r.get("seed")), Double.parseDouble(r.get("test_bits_per_byte")));
        }
        if (rung == null) return Optional.empty();
        for (Point p : base) {
            if (p.rung().equals(rung) && p.attention().equals("cosine") && !p.diverged()) b.put(p.seed(), p.testBitsPerByte());
        }
        List<Integer> seeds = a.keySet().stream().filter(b::containsKey).toList();
        return Optional.of(Stats.pairedDifference(seeds.stream().mapToDouble(a::get).toArray(),
                seeds.stream().mapToDouble(b::get).toArray()));
    }
}
