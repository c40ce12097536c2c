package org.cottention.harness.experiment;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import org.cottention.api.Attention;
import org.cottention.api.AttentionKind;
import org.cottention.api.DecodingState;
import org.cottention.harness.attention.AttentionRegistry;
import org.cottention.harness.results.Column;
import org.cottention.kernels.AllocationRecorder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Paper Fig. 2: memory and latency per generated token against position, for one causal attention layer:
 * cosine through its recurrent state (constant size), softmax through a KV cache (growing). At each sampled
 * position P the state is brought to P by a prefill (cosine: the chunked form with the state carried over;
 * softmax: keys and values appended without computing outputs), then a window of consecutive one-token steps
 * is timed. The state's bytes are exact; the process RSS is reported next to them.
 */
public final class DecodingExperiment implements Experiment {
    private static final int WINDOW = 32;
    /** One-token steps run before measuring, on a state that is then dropped. */
    private static final int WARMUP_STEPS = 1000;

    /** Its rows are timings: under --jobs N it still runs alone, with every thread. */
    @Override
    public boolean runsAlone() {
        return true;
    }

    @Override
    public String name() {
        return "decoding";
    }

    @Override
    public String description() {
        return "generation: memory and latency per token against position, cosine state vs softmax KV cache (Fig. 2)";
    }

    @Override
    public List<Column> columns() {
        return List.of(Column.integer("position").positive().required(), Column.integer("model_dim").positive().required(),
                Column.integer("heads").positive().required(), Column.integer("head_dim").positive().required(),
                Column.integer("window").positive().required(),
                Column.number("step_ms_median").positive().required().varies(),
                Column.number("step_ms_min").positive().required().varies(),
                Column.number("step_ms_max").positive().required().varies(),
                Column.number("state_mib").positive().required(),
                Column.number("step_alloc_bytes").positive().required(),
                Column.number("rss_mib").positive().required().varies(),
                Column.number("peak_rss_mib").positive().required().varies());
    }

    /** One row per sampled position. */
    @Override
    public OptionalInt expectedRows(RunConfig c, Profile profile) {
        return OptionalInt.of(c.getInt("tokens") / c.getInt("every"));
    }

    /**
     * Working set: the softmax KV cache at the last position, twice (it grows by reallocation), 2 x tokens x D x 4
     * bytes (the cosine state, H d^2 x 8 bytes, is negligible), and the pool of q, k, v. FLOPs: each measured
     * step, 4 x position x D for softmax and 4 D d for cosine, and each prefill, 4 x tokens x D x (d + 64) for
     * cosine (chunked); the steps are memory-bound, which the 5-minute floor covers at these sizes.
     */
    @Override
    public Resources resources(RunConfig c, Profile profile) {
        boolean softmax = c.get("kind").equals("softmax");
        double tokens = c.getInt("tokens"), dim = c.getInt("dim"), d = dim / c.getInt("heads"), every = c.getInt("every");
        double bytes = (softmax ? 2 * 2 * tokens * dim * 4 : c.getInt("heads") * d * d * 8) + 3 * every * dim * 4;
        double flops = 0;
        for (double p = every; p <= tokens; p += every) flops += WINDOW * 4 * dim * (softmax ? p : d);
        if (!softmax) flops += 4 * tokens * dim * (d + 64);
        return Resources.estimate(Resources.JVM_MIB, bytes, flops + WARMUP_STEPS * 4 * dim * every);
    }

    /** tokens, model dim, heads, sampling interval. */
    record Size(int tokens, int dim, int heads, int every) {}

    static Size size(Profile p) {
        return switch (p) {
            case SMOKE -> new Size(1024, 128, 4, 256);
            case DEFAULT, LONG -> new Size(32768, 1024, 16, 1024);
            case PAPER -> new Size(65536, 2048, 16, 2048);
        };
    }

    @Override
    public List<RunConfig> configs(Profile profile) {
        Size z = size(profile);
        List<RunConfig> out = new ArrayList<>();
        for (String kind : new String[] {"cosine", "softmax"}) {
            out.add(new RunConfig(kind + "-D" + z.dim() + "-h" + z.heads() + "-t" + z.tokens(), Map.of("kind", kind,
                    "tokens", "" + z.tokens(), "dim", "" + z.dim(), "heads", "" + z.heads(), "every", "" + z.every())));
        }
        return out;
    }

    @Override
    public List<Map<String, Object>> run(RunConfig c, Profile profile, Path out, PrintStream log) {
        String kind = c.get("kind");
        int tokens = c.getInt("tokens"), dim = c.getInt("dim"), heads = c.getInt("heads"), every = c.getInt("every");
        int d = dim / heads;
        Attention attention = AttentionRegistry.defaultFor(AttentionKind.valueOf(kind.toUpperCase()), true).create(true, 64);
        DecodingState state = attention.newDecodingState(1, heads, d, d, DataType.FLOAT);
        Nd4j.getRandom().setSeed(1);
        INDArray pool = Nd4j.randn(DataType.FLOAT, 3, 1, heads, every, d);   // q, k, v for `every` tokens
        AllocationRecorder workspace = new AllocationRecorder("decoding");
        // Warm-up on a throwaway state, so the JIT has compiled the step before the first measured window (without
        // it the first positions read several times slower than the later ones).
        DecodingState warm = attention.newDecodingState(1, heads, d, d, DataType.FLOAT);
        for (int t = 0; t < WARMUP_STEPS; t++) {
            int at = t % every;
            try (AllocationRecorder ws = workspace.open()) {
                warm.append(slice(pool, 0, at, 1), slice(pool, 1, at, 1), slice(pool, 2, at, 1), null, null);
            }
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int position = every; position <= tokens; position += every) {
            // Bring the state to `position` (minus the window that is then decoded token by token).
            int fill = every - WINDOW;
            INDArray k = slice(pool, 1, 0, fill), v = slice(pool, 2, 0, fill);
            try (AllocationRecorder ws = workspace.open()) {
                state.prefill(k, v, null, null);
            }
            double[] ms = new double[WINDOW];
            long stepAlloc = 0;
            for (int t = 0; t < WINDOW; t++) {
                int at = fill + t;
                INDArray qt = slice(pool, 0, at, 1), kt = slice(pool, 1, at, 1), vt = slice(pool, 2, at, 1);
                long t0 = System.nanoTime();
                try (AllocationRecorder ws = workspace.open()) {
                    state.append(qt, kt, vt, null, null);
                    stepAlloc = Math.max(stepAlloc, ws.totalBytes());
                }
                ms[t] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(ms);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("model", "attention-layer");
            row.put("attention", kind);
            row.put("implementation", kind.equals("cosine") ? "recurrent-state (" + attention.name() + " prefill)"
                    : "kv-cache (" + attention.name() + ")");
            row.put("shape", String.format("N=1 H=%d d=%d", heads, d));
            row.put("dtype", "float32" + (kind.equals("cosine") ? " (state float64)" : ""));
            row.put("seed", 1);
            row.put("status", "ok");
            row.put("position", state.position());
            row.put("model_dim", dim);
            row.put("heads", heads);
            row.put("head_dim", d);
            row.put("window", WINDOW);
            row.put("step_ms_median", (ms[WINDOW / 2 - 1] + ms[WINDOW / 2]) / 2);
            row.put("step_ms_min", ms[0]);
            row.put("step_ms_max", ms[WINDOW - 1]);
            row.put("state_mib", state.bytes() / (1024.0 * 1024));
            row.put("step_alloc_bytes", stepAlloc);
            row.put("rss_mib", Memory.rssMiB());
            row.put("peak_rss_mib", Memory.peakRssMiB());
            rows.add(row);
            if (position % (every * 8) == 0 || position == tokens) {
                log.printf("%s: position %d, step %.3f ms, state %.2f MiB, RSS %.0f MiB%n", kind, state.position(),
                        (double) row.get("step_ms_median"), (double) row.get("state_mib"), (double) row.get("rss_mib"));
            }
        }
        return rows;
    }

    /** pool[which, :, :, from:from+len, :] as a C-ordered (1, H, len, d) array. */
    private static INDArray slice(INDArray pool, int which, int from, int len) {
        return pool.get(NDArrayIndex.point(which), NDArrayIndex.all(), NDArrayIndex.all(),
                NDArrayIndex.interval(from, from + len), NDArrayIndex.all()).dup('c');
    }

    @Override
    public void report(Profile profile, Path results, Path into, List<Map<String, String>> rows) throws Exception {
        Plots.decoding(into, rows);
    }

    @Override
    public String markdown(Profile profile, List<Map<String, String>> rows) {
        StringBuilder sb = new StringBuilder();
        List<Map<String, String>> cos = rows.stream().filter(r -> r.get("attention").equals("cosine")).toList();
        List<Map<String, String>> soft = rows.stream().filter(r -> r.get("attention").equals("softmax")).toList();
        sb.append("One causal attention layer (").append(rows.isEmpty() ? "" : rows.get(0).get("shape"))
                .append("); time per token is the median of ").append(WINDOW).append(" consecutive one-token steps (after ")
                .append(WARMUP_STEPS).append(" warm-up steps on a throwaway state).\n\n");
        sb.append("| position | cosine state MiB | cosine ms/token | softmax KV cache MiB | softmax ms/token |\n");
        sb.append("|---|---|---|---|---|\n");
        int n = Math.min(cos.size(), soft.size());
        for (int i = 0; i < n; i++) {
            if (n > 8 && i % Math.max(1, n / 8) != 0 && i != n - 1) continue;
            sb.append("| ").append(cos.get(i).get("position")).append(" | ")
                    .append(Markdown.number(cos.get(i).get("state_mib"))).append(" | ")
                    .append(Markdown.number(cos.get(i).get("step_ms_median"))).append(" | ")
                    .append(Markdown.number(soft.get(i).get("state_mib"))).append(" | ")
                    .append(Markdown.number(soft.get(i).get("step_ms_median"))).append(" |\n");
        }
        sb.append('\n');
        for (String m : new String[] {"memory", "latency", "rss"}) {
            sb.append(Markdown.image("decoding_" + m + "_vs_position.png", m + " vs position"));
        }
        sb.append("\nPaper (Fig. 2): cosine inference memory constant in the generated length, softmax growing ")
                .append("(linearly with a KV cache); no numbers are given.\n");
        return sb.toString();
    }

    /**
     * Claim 8: held when, from the first position to the last, the bytes one cosine decoding step allocates (its
     * scratch, measured by the workspace) and the bytes of its state grow by at most 5 %; did not hold otherwise.
     * The process RSS is printed beside them but does not decide: each position is reached by a prefill whose k and
     * v (P tokens each) are resident too, so RSS grows with P for either attention (about 218 MiB from 1k to 32k
     * for cosine in the committed default run) although a cosine step needs the same memory at every position.
     */
    @Override
    public List<Claim> claims(Profile profile, Map<String, List<Map<String, String>>> tables) {
        String claim = "Causal cosine attention is an RNN with a d x d state: constant inference memory";
        String paper = "paper 5 derivation, Fig. 2 (no numbers)";
        List<Map<String, String>> rows = tables.getOrDefault(name(), List.of());
        List<double[]> alloc = Plots.points(rows, r -> r.get("attention").equals("cosine"), "position", "step_alloc_bytes");
        List<double[]> state = Plots.points(rows, r -> r.get("attention").equals("cosine"), "position", "state_mib");
        List<double[]> rss = Plots.points(rows, r -> r.get("attention").equals("cosine"), "position", "rss_mib");
        List<double[]> softAlloc = Plots.points(rows, r -> r.get("attention").equals("softmax"), "position", "step_alloc_bytes");
        List<double[]> softState = Plots.points(rows, r -> r.get("attention").equals("softmax"), "position", "state_mib");
        if (alloc.size() < 2) return List.of(Claim.notMeasured("8", claim, paper, "decoding not run"));
        double ratio = growth(alloc), stateRatio = growth(state);
        double rssGrowth = rss.get(rss.size() - 1)[1] - rss.get(0)[1];
        String ev = String.format(Locale.ROOT, "from position %.0f to %.0f: a cosine step allocated %.0f -> %.0f bytes "
                + "(x%.3f), its state %.3f -> %.3f MiB (x%.3f); softmax (KV cache): a step x%.1f, the cache x%.1f; "
                + "process RSS of the cosine runs %+.1f MiB, which includes the prefill's k and v and does not decide",
                alloc.get(0)[0], alloc.get(alloc.size() - 1)[0], alloc.get(0)[1], alloc.get(alloc.size() - 1)[1], ratio,
                state.get(0)[1], state.get(state.size() - 1)[1], stateRatio, growth(softAlloc), growth(softState), rssGrowth);
        return List.of(new Claim("8", claim, paper, "bytes a cosine decoding step allocates and its state's bytes, last "
                + "/ first position", alloc.size(), Math.max(ratio, stateRatio), Double.NaN, Double.NaN, "<= 1.05",
                Verdict.threshold(Math.max(ratio, stateRatio), constantMemory(ratio, stateRatio)), ev));
    }

    /** Claim 8's rule: a step's allocation and the state both grow by at most 5 % from the first position to the last. */
    static boolean constantMemory(double stepGrowth, double stateGrowth) {
        return stepGrowth <= 1.05 && stateGrowth <= 1.05;
    }

    /** last / first of a series (NaN with fewer than 2 points). */
    private static double growth(List<double[]> points) {
        return points.size() < 2 ? Double.NaN : points.get(points.size() - 1)[1] / points.get(0)[1];
    }
}
