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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cottention.harness.results.Column;
import org.cottention.harness.train.Checkpoint;
import org.cottention.reference.StabilizerExponent;

/**
 * Paper Fig. 4: the learned stabiliser sigma(m) per head and layer at the end of training, read from the final
 * checkpoints of the cosine BERT (pretraining) and cosine GPT-J runs, against the initial sigma(0.5) = 0.6225.
 */
public final class StabiliserExperiment implements Experiment {
    /** The models of the table: BERT, GPT-J, and the GPT-J control without weight decay on m. */
    static final List<String> MODELS = List.of("bert", "gptj", "gptj-" + GptExperiment.M_NO_DECAY);

    private static final Pattern LAYER = Pattern.compile("\\.(\\d+)\\.");

    @Override
    public String name() {
        return "stabiliser";
    }

    @Override
    public String description() {
        return "the learned stabiliser sigma(m) per head and layer at the end of training (paper Fig. 4)";
    }

    @Override
    public boolean comparesAttentions() {
        return false;   // m exists only in cosine models
    }

    @Override
    public List<Column> columns() {
        return List.of(Column.text("source_run").required(), Column.integer("step").positive().required(),
                Column.text("parameter").required(), Column.integer("layer").required(), Column.integer("head").required(),
                Column.number("m").required(), Column.number("sigma_m").required(),
                Column.number("initial_sigma_m").required(), Column.number("change").required());
    }

    /**
     * It reads the final checkpoints of the cosine BERT pretraining, of the largest GPT rung's cosine run (seed 1), and
     * of the GPT control without weight decay on m (seed 1), which tells a decrease the gradient drives from one
     * weight decay alone would give.
     */
    @Override
    public List<RunConfig> configs(Profile profile) {
        GptExperiment.Plan gpt = GptExperiment.plan(profile);
        List<RunConfig> out = new ArrayList<>();
        out.add(new RunConfig("bert-cosine", Map.of("model", "bert")).after("bert/pretrain-cosine"));
        out.add(new RunConfig("gpt-cosine", Map.of("model", "gpt", "run", gptTop(gpt))).after("gpt/" + gptTop(gpt)));
        if (!gpt.swept().isEmpty()) {
            String control = GptExperiment.M_NO_DECAY + "-" + gpt.armRung().name() + "-cosine-seed1";
            out.add(new RunConfig("gpt-cosine-m-no-decay", Map.of("model", "gpt", "run", control)).after("gpt/" + control));
        }
        return out;
    }

    /** The GPT run Fig. 4 reads: the largest rung's cosine ladder run, seed 1 (the ladder's top rung is never swept). */
    static String gptTop(GptExperiment.Plan gpt) {
        return "ladder-" + gpt.ladder().get(gpt.ladder().size() - 1).name() + "-cosine-seed1";
    }

    private static GptExperiment.Rung rung(GptExperiment.Plan gpt, String run) {
        return gpt.rung(run.replaceAll("^(ladder|" + GptExperiment.M_NO_DECAY + ")-", "").replaceAll("-cosine-seed\\d+$", ""));
    }

    /** One row per head of every layer of the model. */
    @Override
    public OptionalInt expectedRows(RunConfig c, Profile profile) {
        if (c.get("model").equals("bert")) return OptionalInt.of(BertExperiment.size(profile).layers() * BertExperiment.size(profile).heads());
        GptExperiment.Rung r = rung(GptExperiment.plan(profile), c.get("run"));
        return OptionalInt.of(r.layers() * r.heads());
    }

    /** Reading a checkpoint: its parameters and two AdamW moments as doubles, 24 bytes per parameter; no FLOPs. */
    @Override
    public Resources resources(RunConfig c, Profile profile) {
        double params;
        if (c.get("model").equals("bert")) {
            params = BertExperiment.parameters(BertExperiment.size(profile));
        } else {
            GptExperiment.Rung r = rung(GptExperiment.plan(profile), c.get("run"));
            params = r.nonEmbedding() + 2.0 * 257 * r.hidden();
        }
        return Resources.estimate(Resources.JVM_MIB, 24 * params, 0);
    }

    @Override
    public List<Map<String, Object>> run(RunConfig c, Profile profile, Path out, PrintStream log) throws IOException {
        boolean bert = c.get("model").equals("bert");
        Path checkpoints = (bert ? BertExperiment.pretrainDir(out, "cosine") : GptExperiment.runDir(out, c.get("run")))
                .resolve("checkpoints");
        if (!Checkpoint.exists(checkpoints)) {
            throw new IllegalStateException("no checkpoint in " + checkpoints + ": run the " + (bert ? "bert" : "gpt")
                    + " experiment first (./reproduce.sh runs them before this one)");
        }
        Checkpoint.Loaded ck = Checkpoint.loadLatest(checkpoints);
        double initial = StabilizerExponent.sigmoid(StabilizerExponent.INITIAL_M);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String line : ck.parameterIndex()) {
            String[] f = line.split("\t");
            if (!f[0].endsWith(".m")) continue;
            int offset = Integer.parseInt(f[1]);
            int heads = Integer.parseInt(f[2].replaceAll("[^0-9]", ""));
            Matcher m0 = LAYER.matcher(f[0]);
            String layer = m0.find() ? m0.group(1) : "";   // once per parameter: find() moves on at each call
            for (int h = 0; h < heads; h++) {
                double m = ck.params()[offset + h], sigma = StabilizerExponent.sigmoid(m);
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("model", bert ? "bert" : c.key().endsWith(GptExperiment.M_NO_DECAY) ? "gptj-m-no-decay" : "gptj");
                r.put("attention", "cosine");
                r.put("implementation", bert ? "cosine-linear" : "cosine-chunked");
                r.put("shape", "heads " + heads);
                r.put("dtype", "float32");
                r.put("seed", 1);
                r.put("status", "ok");
                r.put("source_run", checkpoints.getParent().getFileName().toString());
                r.put("step", ck.state().step());
                r.put("parameter", f[0]);
                r.put("layer", layer);
                r.put("head", h);
                r.put("m", m);
                r.put("sigma_m", sigma);
                r.put("initial_sigma_m", initial);
                r.put("change", sigma - initial);
                rows.add(r);
            }
        }
        log.printf(Locale.ROOT, "%s: %d heads read from %s%n", c.key(), rows.size(), ck.path());
        return rows;
    }

    @Override
    public void report(Profile profile, Path results, Path into, List<Map<String, String>> rows) throws IOException {
        double initial = StabilizerExponent.sigmoid(0.5);
        Plots.Figure f = Plots.figure("Learned sigma(m) per head after training")
                .subtitle("every head of every layer of the cosine models")
                .x("sigma(m)", Plots.Scale.LINEAR).y("heads (count)", Plots.Scale.LINEAR_INTEGER)
                .marker(initial, String.format(Locale.ROOT, "initial sigma(0.5) = %.4f", initial));
        for (String model : MODELS) {
            double[] sigma = rows.stream().filter(r -> r.get("model").equals(model))
                    .mapToDouble(r -> Double.parseDouble(r.get("sigma_m"))).toArray();
            if (sigma.length > 0) f.histogram("cosine " + model, sigma);
        }
        f.write(into.resolve("stabiliser_sigma_m.png"));
    }

    @Override
    public String markdown(Profile profile, List<Map<String, String>> rows) {
        StringBuilder sb = new StringBuilder("| model | heads | mean sigma(m) | min | max | heads below 0.6225 |\n|---|---|---|---|---|---|\n");
        for (String model : MODELS) {
            double[] s = rows.stream().filter(r -> r.get("model").equals(model))
                    .mapToDouble(r -> Double.parseDouble(r.get("sigma_m"))).toArray();
            if (s.length == 0) continue;
            double initial = StabilizerExponent.sigmoid(0.5);
            long below = java.util.Arrays.stream(s).filter(x -> x < initial).count();
            sb.append(String.format(Locale.ROOT, "| %s | %d | %.4f | %.4f | %.4f | %d |%n", model, s.length,
                    java.util.Arrays.stream(s).average().orElse(Double.NaN), java.util.Arrays.stream(s).min().orElse(Double.NaN),
                    java.util.Arrays.stream(s).max().orElse(Double.NaN), below));
        }
        sb.append('\n').append(Markdown.image("stabiliser_sigma_m.png", "sigma(m) histogram"))
                .append("\nPaper (Fig. 4, 300M and 1.2B GPT-J): sigma(m) ends below its initial 0.62 for most heads ")
                .append("(\"diminishes significantly\"); no numbers are given.\n");
        return sb.toString();
    }

    /** Claim 4: the change of sigma(m) from its initial value over every head, a t-interval, held when below 0. */
    @Override
    public List<Claim> claims(Profile profile, Map<String, List<Map<String, String>>> tables) {
        String claim = "m (initially 0.5 for every head) decreases during training";
        String paper = "Fig. 4 histograms";
        List<Map<String, String>> rows = tables.getOrDefault(name(), List.of());
        if (rows.isEmpty()) return List.of(Claim.notMeasured("4", claim, paper, "stabiliser experiment not run"));
        List<Claim> out = new ArrayList<>();
        for (String model : MODELS) {
            double[] change = rows.stream().filter(r -> r.get("model").equals(model))
                    .mapToDouble(r -> Double.parseDouble(r.get("change"))).toArray();
            if (change.length == 0) continue;
            Stats.Interval x = Stats.mean(change);
            out.add(Claim.of("4" + (char) ('a' + MODELS.indexOf(model)), claim + " (" + model + (model.endsWith(GptExperiment.M_NO_DECAY)
                    ? ": our control, no weight decay on m, which alone pulls m towards 0" : "") + ")", paper, "mean change of sigma(m) over heads, end - "
                    + "initial", x, "interval below 0", Verdict.negative(x), String.format(Locale.ROOT,
                    "%s: %d heads, sigma(m) change %s", model, change.length, Verdict.describe(x, "%.4f"))));
        }
        if (out.isEmpty()) out.add(Claim.notMeasured("4", claim, paper, "no cosine model's m in the table"));
        return out;
    }
}
