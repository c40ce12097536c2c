package org.cottention.harness.experiment;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import org.cottention.api.Attention;
import org.cottention.harness.attention.ReferenceRecipe;
import org.cottention.harness.data.DataRoot;
import org.cottention.harness.data.batch.LmBatches;
import org.cottention.harness.data.text.Datasets;
import org.cottention.harness.data.text.Document;
import org.cottention.harness.data.text.SplitSet;
import org.cottention.harness.data.tokenize.Tokenizer;
import org.cottention.harness.data.tokenize.Tokenizers;
import org.cottention.harness.results.Column;
import org.cottention.harness.train.Trainer;
import org.cottention.models.GptJ;
import org.cottention.models.LmBatch;
import org.cottention.models.ModelConfig;

/**
 * GPT-J (paper-spec §7.2, §8.3) at the profile's size: causal language modelling on the pretraining text with
 * softmax and cosine attention (same seed, data order, initialisation scheme and optimiser), held-out perplexity
 * on the validation documents (and bits per byte with the byte-level tokenizer), learning curves, throughput and
 * peak memory. A third run is the stabiliser ablation of claim 3: cosine attention with m initialised to
 * {@link #NO_STABILISER_M}, where sigma(m) ~ 1e-13, so the divisor max(c^sigma(m), 1) is 1 and stays 1.
 */
public final class GptExperiment implements Experiment {
    static final double NO_STABILISER_M = -30;

    record Size(int layers, int hidden, int heads, int intermediate, int rotaryDim, int seq, int batch, int steps,
                double lr, int evalBatches, String tokenizer) {}

    static Size size(Profile p) {
        return switch (p) {
            case SMOKE -> new Size(2, 64, 2, 256, 32, 64, 8, 20, 1e-3, 2, "byte");
            case DEFAULT, LONG -> new Size(4, 128, 2, 512, 64, 256, 16, 600, 1e-3, 16, "byte");
            case PAPER -> new Size(20, 1024, 16, 3072, 64, 1024, 128, 1_000_000, 1e-4, 1000, "gpt2");
        };
    }

    @Override
    public String name() {
        return "gpt";
    }

    @Override
    public String description() {
        return "GPT-J: causal LM with both attentions (and cosine without its stabiliser): held-out perplexity, curves";
    }

    @Override
    public List<String> jvmArgs() {
        return List.of("-Xms1g", "-Xmx1g");
    }

    @Override
    public List<Column> columns() {
        java.util.function.Predicate<Map<String, String>> fin = r -> "final".equals(r.get("phase"));
        return List.of(Column.oneOf("variant", "cosine", "softmax", "cosine-no-stabiliser").always(),
                Column.oneOf("phase", "curve", "final").always(), Column.integer("step").positive().required(),
                Column.integer("parameters").positive().required(), Column.number("train_loss").required(),
                Column.number("eval_loss").requiredWhen(fin), Column.number("perplexity").positive().requiredWhen(fin),
                Column.number("bits_per_byte").positive().requiredWhen(fin.and(r -> r.get("shape").endsWith(" byte"))),
                Column.number("tokens_per_s").positive().requiredWhen(fin).varies(),
                Column.number("peak_rss_mib").positive().requiredWhen(fin).varies(),
                Column.number("wall_s").positive().requiredWhen(fin).varies(),
                Column.number("sigma_m_mean").requiredWhen(fin.and(r -> "cosine".equals(r.get("attention")))));
    }

    /** One curve row per step and the final row. */
    @Override
    public OptionalInt expectedRows(RunConfig c, Profile profile) {
        return OptionalInt.of(size(profile).steps() + 1);
    }

    /** The vocabulary of a tokenizer: byte level (256 bytes and 3 specials), or GPT-2's BPE. */
    private static int vocabEstimate(Size z) {
        return z.tokenizer().equals("byte") ? 259 : 50257;
    }

    /** About how many parameters a model of this size has: the layers, the input embedding and the output layer. */
    static double parameters(Size z) {
        return Resources.layerParameters(z.layers(), z.hidden(), z.intermediate()) + 2.0 * vocabEstimate(z) * z.hidden();
    }

    /**
     * Parameters: {@link #parameters}. FLOPs per token: the layers and the output layer (V x E; the input
     * embedding is a lookup). Softmax adds its s x s products, 12 x L x s x E per
     * token. Working set: 16 bytes per parameter, (16 E + 2 I) floats per token and layer of activations, and the
     * softmax probabilities (3 x H x s^2 floats per sequence and layer).
     */
    @Override
    public Resources resources(RunConfig c, Profile profile) {
        Size z = size(profile);
        boolean softmax = c.get("variant").equals("softmax");
        double layers = Resources.layerParameters(z.layers(), z.hidden(), z.intermediate());
        double vocab = (double) vocabEstimate(z) * z.hidden(), tokens = (double) z.steps() * z.batch() * z.seq();
        double flops = Resources.trainingFlops(layers + vocab, tokens) + (softmax ? 12.0 * z.layers() * z.seq() * z.hidden() * tokens : 0);
        double activations = (double) z.batch() * z.seq() * z.layers() * (16.0 * z.hidden() + 2.0 * z.intermediate()) * 4
                + (softmax ? 3.0 * z.batch() * z.heads() * z.seq() * z.seq() * z.layers() * 4 : 0);
        return Resources.estimate(Resources.MODEL_RUN_MIB, 16 * parameters(z) + activations, flops);
    }

    @Override
    public List<RunConfig> configs(Profile profile) {
        List<RunConfig> out = new ArrayList<>();
        for (String v : new String[] {"cosine", "softmax", "cosine-no-stabiliser"}) {
            out.add(new RunConfig("lm-" + v, Map.of("variant", v)));
        }
        return out;
    }

    static Path runDir(Path out, String variant) {
        return Experiments.workDir(out, new GptExperiment()).resolve("lm-" + variant);
    }

    @Override
    public List<Map<String, Object>> run(RunConfig c, Profile profile, Path out, PrintStream log) throws IOException {
        Size z = size(profile);
        DataRoot data = ModelData.root(profile);
        log.println("data: " + data.describe());
        Tokenizer tok = Tokenizers.byName(z.tokenizer(), data);
        String variant = c.get("variant");
        String kind = variant.startsWith("cosine") ? "cosine" : "softmax";
        Attention attention = ModelRuns.attention(kind, true);
        ModelConfig config = ModelConfig.gptj(tok.vocabSize(), z.hidden(), z.layers(), z.heads(), z.intermediate(),
                z.rotaryDim(), z.seq()).withProjectionInit(ReferenceRecipe.projectionInit(kind));
        if (variant.equals("cosine-no-stabiliser")) config = config.withInitialM(NO_STABILISER_M);
        SplitSet<Document> docs = Datasets.pretraining(data);
        LmBatches train = LmBatches.of(docs.train(), tok, z.seq()), valid = LmBatches.of(docs.validation(), tok, z.seq());
        log.printf("LM windows of %d %s tokens: %d train, %d validation%n", z.seq(), z.tokenizer(), train.size(), valid.size());
        long t0 = System.nanoTime();
        GptJ model = new GptJ(config, attention, 1);
        List<LmBatch> held = valid.heldOut(z.batch(), z.evalBatches(), 5);
        Trainer.Settings s = ModelRuns.settings(z.steps(), z.lr(), Math.max(1, z.steps() / 10), true, 1,
                Math.max(1, z.steps() / 10));
        Trainer.Outcome o = ModelRuns.train(model, train.sampled(z.batch(), 1), held, s,
                Map.of("experiment", "gpt", "variant", variant), runDir(out, variant), log);

        Map<String, Object> common = new LinkedHashMap<>();
        common.put("model", String.format("gptj-L%d-E%d-H%d", z.layers(), z.hidden(), z.heads()));
        common.put("attention", kind);
        common.put("implementation", attention.name());
        common.put("shape", String.format("L%d E%d H%d I%d s%d rotary%d %s", z.layers(), z.hidden(), z.heads(),
                z.intermediate(), z.seq(), z.rotaryDim(), z.tokenizer()));
        common.put("dtype", "float32");
        common.put("seed", 1);
        common.put("status", "ok");
        common.put("variant", variant);
        common.put("parameters", model.parameters().count());
        List<Map<String, Object>> rows = new ArrayList<>();
        // Learning curve: every step's training loss, and the held-out loss where it was evaluated.
        List<String> curve = o.curve();
        List<String> header = List.of(curve.get(0).split(","));
        for (String line : curve.subList(1, curve.size())) {
            String[] f = line.split(",", -1);
            Map<String, Object> r = new LinkedHashMap<>(common);
            r.put("phase", "curve");
            r.put("step", f[header.indexOf("step")]);
            r.put("train_loss", f[header.indexOf("train_loss")]);
            String eval = f[header.indexOf("eval_loss")];
            if (!eval.isEmpty() && !eval.equals("NaN")) {
                r.put("eval_loss", eval);
                r.put("perplexity", Math.exp(Double.parseDouble(eval)));
            }
            rows.add(r);
        }
        Map<String, Object> fin = new LinkedHashMap<>(common);
        fin.put("phase", "final");
        fin.put("step", o.steps());
        fin.put("train_loss", o.lastLoss());
        fin.put("eval_loss", o.heldOutLoss());
        fin.put("perplexity", Math.exp(o.heldOutLoss()));
        if (z.tokenizer().equals("byte")) fin.put("bits_per_byte", o.heldOutLoss() / Math.log(2));
        fin.put("tokens_per_s", ModelRuns.tokensPerSecond(o));
        fin.put("peak_rss_mib", o.peakRssBytes() / (1024.0 * 1024));
        fin.put("wall_s", (System.nanoTime() - t0) / 1e9);
        fin.put("sigma_m_mean", ModelRuns.meanSigma(model));
        rows.add(fin);
        log.printf(Locale.ROOT, "%s: held-out loss %.4f, perplexity %.3f, %.0f tokens/s%n", variant, o.heldOutLoss(),
                Math.exp(o.heldOutLoss()), o.medianTokensPerSecond());
        return rows;
    }

    @Override
    public void report(Profile profile, Path results, Path into, List<Map<String, String>> rows) throws IOException {
        String shape = rows.isEmpty() ? "" : rows.get(0).get("model") + ", " + rows.get(0).get("shape");
        Plots.Figure f = Plots.figure("GPT-J causal LM: cross-entropy vs step")
                .subtitle(shape + "; thin: training batches, dashed: held-out")
                .x("step", Plots.Scale.LINEAR_INTEGER).y("cross-entropy (nats/token)", Plots.Scale.LINEAR)
                .yIncludesZero(false);
        for (String v : new String[] {"softmax", "cosine", "cosine-no-stabiliser"}) {
            f.add(Plots.series(v + " (train)", Plots.points(rows, r -> r.get("variant").equals(v)
                    && r.get("phase").equals("curve"), "step", "train_loss")).group(v).thin().unlisted());
        }
        for (String v : new String[] {"softmax", "cosine", "cosine-no-stabiliser"}) {
            f.add(Plots.series(v, Plots.points(rows, r -> r.get("variant").equals(v)
                    && r.get("phase").equals("curve"), "step", "eval_loss")).group(v).dash(Plots.Dash.DASHED));
        }
        f.write(into.resolve("gpt_learning_curves.png"));
    }

    @Override
    public String markdown(Profile profile, List<Map<String, String>> rows) {
        List<Map<String, String>> fin = rows.stream().filter(r -> r.get("phase").equals("final")).toList();
        StringBuilder sb = new StringBuilder();
        sb.append(Markdown.table(List.of("variant", "implementation", "parameters", "steps", "train loss",
                "held-out loss", "perplexity", "bits/byte", "tokens/s", "peak RSS MiB", "mean sigma(m)"), fin,
                List.of(Markdown.col("variant"), Markdown.col("implementation"), Markdown.col("parameters"),
                        Markdown.col("step"), Markdown.num("train_loss"), Markdown.num("eval_loss"),
                        Markdown.num("perplexity"), Markdown.num("bits_per_byte"), Markdown.num("tokens_per_s"),
                        Markdown.num("peak_rss_mib"), Markdown.num("sigma_m_mean"))));
        sb.append('\n').append(Markdown.image("gpt_learning_curves.png", "GPT learning curves")).append('\n');
        sb.append("Paper (README; likely end-of-training training perplexity on The Pile): 300M cosine 11.6 vs softmax ")
                .append("10.3 (ratio 1.13); 1.2B 9.9 vs 9.1 (1.09). Ours: held-out perplexity on held-out whole ")
                .append("documents, a tiny model, byte-level; compare the ratio, not the values.\n");
        return sb.toString();
    }

    @Override
    public List<Claim> claims(Profile profile, Map<String, List<Map<String, String>>> tables) {
        List<Map<String, String>> rows = tables.getOrDefault(name(), List.of());
        String claim = "Cosine GPT-J reaches similar loss to softmax, and the gap shrinks with scale";
        String paper = "README PPL 11.6 vs 10.3 (300M: +0.12 nats per token), 9.9 vs 9.1 (1.2B: +0.08)";
        double c = finalValue(rows, "cosine", "bits_per_byte"), s = finalValue(rows, "softmax", "bits_per_byte");
        List<Claim> out = new ArrayList<>();
        if (Double.isNaN(c) || Double.isNaN(s)) {
            out.add(Claim.notMeasured("2a", claim, paper, "GPT experiment not run"));
        } else {
            out.add(new Claim("2a", "The cosine - softmax loss gap shrinks with scale", paper, "slope of the gap against "
                    + "log(parameters)", 1, Double.NaN, Double.NaN, Double.NaN, "interval below 0", Verdict.NOT_TESTABLE,
                    String.format(Locale.ROOT, "one model size only: held-out gap %+.4f bits per byte", c - s)));
        }
        double with = finalValue(rows, "cosine", "eval_loss"), without = finalValue(rows, "cosine-no-stabiliser", "eval_loss");
        out.add(Double.isNaN(with) || Double.isNaN(without)
                ? Claim.notMeasured("3", "Without the stabiliser cosine attention trains unstably; dividing V by "
                        + "s^sigma(m) fixes it", "argument (paper 3.3) and CHANGELOG history; no ablation figure", "ablation not run")
                : new Claim("3", "Without the stabiliser cosine attention trains unstably; dividing V by s^sigma(m) "
                        + "fixes it", "argument (paper 3.3) and CHANGELOG history; no ablation figure",
                        "held-out loss without - with the stabiliser, one seed", 1, without - with, Double.NaN, Double.NaN,
                        "interval above 0, or divergence", Verdict.NOT_TESTABLE, String.format(Locale.ROOT,
                        "one seed: with %.4f, without %.4f nats", with, without)));
        return out;
    }

    private static double finalValue(List<Map<String, String>> rows, String variant, String column) {
        return rows.stream().filter(r -> r.get("phase").equals("final") && r.get("variant").equals(variant))
                .mapToDouble(r -> r.get(column).isEmpty() ? Double.NaN : Double.parseDouble(r.get(column)))
                .findFirst().orElse(Double.NaN);
    }
}
