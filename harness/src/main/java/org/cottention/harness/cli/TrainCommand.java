package org.cottention.harness.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.cottention.api.Attention;
import org.cottention.api.AttentionKind;
import org.cottention.api.StabilisedAttention;
import org.cottention.cosine.ChunkedCausalCosineAttention;
import org.cottention.harness.Args;
import org.cottention.harness.CliException;
import org.cottention.harness.attention.AttentionRegistry;
import org.cottention.harness.attention.ReferenceRecipe;
import org.cottention.harness.data.batch.BatchSource;
import org.cottention.harness.data.batch.ByteText;
import org.cottention.harness.data.batch.CopyTask;
import org.cottention.harness.data.batch.LmWindows;
import org.cottention.harness.data.batch.MlmPairs;
import org.cottention.harness.train.AdamW;
import org.cottention.harness.train.Checkpoint;
import org.cottention.harness.train.LinearSchedule;
import org.cottention.harness.train.Trainer;
import org.cottention.kernels.KernelThreads;
import org.cottention.models.BertPreTraining;
import org.cottention.models.GptJ;
import org.cottention.models.LmBatch;
import org.cottention.models.MlmBatch;
import org.cottention.models.Model;
import org.cottention.models.ModelConfig;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * {@code ./cottention train}: trains a small BERT (masked LM + NSP) or GPT-J (causal LM) on byte-level text, or a
 * GPT-J on the copy task, with cosine or softmax attention through the same code. Prints the loss, tokens/s and
 * RSS as it goes, writes the learning curve (CSV, atomically) and checkpoints, and resumes from them.
 */
public final class TrainCommand {
    private TrainCommand() {}

    static final String USAGE = """
            usage: ./cottention train --model bert|gpt --attention cosine|softmax [options]

            model      --layers L (2) --hidden E (128) --heads H (4) --intermediate I (4E) --seq S (128)
                       --rotary-dim R (GPT: min(64, E/H)) --init reference|baseline (reference) --m-init M (0.5)
                       --dropout P (BERT 0.1, GPT 0) --attention-dropout P (0.1 BERT; softmax only: cosine has none)
                       --impl NAME (the fastest for the kind; ./cottention attention --list) --chunk C (%d)
                       --dtype float32|float64 (float32)
            data       --text FILE (byte-level; the last --held-out F (0.1) is held out) | --task copy
                       (GPT only: --copy-block B (16) --copy-symbols V (64)); --no-nsp (BERT)
            training   --steps N (1000) --batch N (16) --accum K (1) --lr X (1e-4) --warmup N (1%% of steps)
                       --constant-lr (no decay after warmup) --weight-decay X (0.01) --decay-on all|weights (all)
                       --adam-eps X (1e-7) --beta1 X (0.9) --beta2 X (0.999) --clip X (0 = none) --seed N (1)
            output     --curve FILE.csv --checkpoint DIR [--checkpoint-every N (500)] [--resume]
                       --log-every N (10) --eval-every N (0 = at the end) --eval-batches N (4)
            machine    --threads N (ND4J and OpenBLAS threads; default: OMP_NUM_THREADS or the core count)

            The defaults follow the paper's recipe (AdamW betas 0.9/0.999, eps 1e-7, weight decay 0.01 on all
            parameters, linear warmup then linear decay to 0, no clipping, m = 0.5, the reference's projection init).
            tokens/s counts positions (batch x seq x accum) per second of optimiser step.
            """.formatted(ChunkedCausalCosineAttention.DEFAULT_CHUNK);

    private static final Set<String> VALUED = Set.of("model", "attention", "impl", "chunk", "layers", "hidden", "heads",
            "intermediate", "seq", "rotary-dim", "init", "m-init", "dropout", "attention-dropout", "dtype", "text",
            "held-out", "task", "copy-block", "copy-symbols", "steps", "batch", "accum", "lr", "warmup", "weight-decay",
            "decay-on", "adam-eps", "beta1", "beta2", "clip", "seed", "curve", "checkpoint", "checkpoint-every",
            "log-every", "eval-every", "eval-batches", "threads");
    private static final Set<String> BOOLEANS = Set.of("no-nsp", "constant-lr", "resume", "help");

    public static int run(String[] argv, PrintStream out) throws IOException {
        Args a = Args.parse("train", argv, VALUED, BOOLEANS);
        if (a.has("help")) {
            out.print(USAGE);
            return 0;
        }
        boolean gpt = a.oneOf("model", a.required("model"), "bert", "gpt").equals("gpt");
        AttentionKind kind = AttentionKind.valueOf(a.oneOf("attention", a.required("attention"), "cosine", "softmax").toUpperCase(Locale.ROOT));
        boolean copy = a.oneOf("task", "text", "text", "copy").equals("copy");
        if (copy && !gpt) throw new CliException("train: --task copy needs --model gpt (a causal model)");
        if (a.has("threads")) KernelThreads.setLibraryThreads(a.positiveInt("threads", 1));

        AttentionRegistry.Entry entry = attentionEntry(a, kind, gpt);
        int chunk = a.positiveInt("chunk", ChunkedCausalCosineAttention.DEFAULT_CHUNK);
        Attention attention = entry.create(gpt, chunk);

        int layers = a.positiveInt("layers", 2), hidden = a.positiveInt("hidden", 128), heads = a.positiveInt("heads", 4);
        int inner = a.positiveInt("intermediate", 4 * hidden), seq = a.positiveInt("seq", 128), batch = a.positiveInt("batch", 16);
        if (hidden % heads != 0) throw new CliException("train: --hidden " + hidden + " must be a multiple of --heads " + heads);
        int headDim = hidden / heads;
        ModelConfig config;
        if (gpt) {
            int rotary = a.positiveInt("rotary-dim", Math.min(64, headDim - headDim % 2));
            if (rotary % 2 != 0 || rotary > headDim || headDim % 2 != 0) {
                throw new CliException("train: --rotary-dim must be even and <= the head dim " + headDim + " (even), got " + rotary);
            }
            int vocab = copy ? 256 : ByteText.GPT_VOCAB;
            config = ModelConfig.gptj(vocab, hidden, layers, heads, inner, rotary, seq);
        } else {
            config = ModelConfig.bert(ByteText.BERT_VOCAB, hidden, layers, heads, inner, seq).withPadTokenId(ByteText.PAD);
        }
        config = config.withDropout(fraction(a, "dropout", config.hiddenDropout()),
                        fraction(a, "attention-dropout", gpt ? 0.0 : config.attentionDropout()))
                .withInitialM(real(a, "m-init", StabilisedAttention.INITIAL_M))
                .withProjectionInit(a.oneOf("init", "reference", "reference", "baseline").equals("baseline")
                        ? ModelConfig.ProjectionInit.BASELINE : ReferenceRecipe.projectionInit(kind))
                .withDataType(a.oneOf("dtype", "float32", "float32", "float64").equals("float64") ? DataType.DOUBLE : DataType.FLOAT);

        long steps = a.positiveInt("steps", 1000);
        long warmup = a.has("warmup") ? nonNegativeInt(a, "warmup") : Math.round(steps * 0.01);
        boolean decay = !a.has("constant-lr");
        if (decay && warmup >= steps) throw new CliException("train: --warmup " + warmup + " must be < --steps " + steps);
        AdamW.Config adam = new AdamW.Config(real(a, "beta1", 0.9), real(a, "beta2", 0.999), real(a, "adam-eps", 1e-7),
                real(a, "weight-decay", 0.01),
                a.oneOf("decay-on", "all", "all", "weights").equals("all") ? AdamW.DecayOn.ALL : AdamW.DecayOn.WEIGHTS);
        long seed = a.positiveInt("seed", 1);
        Trainer.Settings settings = new Trainer.Settings(steps, a.positiveInt("accum", 1), real(a, "lr", 1e-4),
                new LinearSchedule(warmup, steps, decay), real(a, "clip", 0.0), adam, seed, a.positiveInt("log-every", 10),
                nonNegativeInt(a, "eval-every"), a.positiveInt("checkpoint-every", 500));
        int evalBatches = a.positiveInt("eval-batches", 4);

        Map<String, String> runInfo = new LinkedHashMap<>();
        runInfo.put("attention", entry.name());
        runInfo.put("chunk", Integer.toString(chunk));
        runInfo.put("batch", Integer.toString(batch));
        runInfo.put("seq", Integer.toString(seq));
        Path checkpoint = a.has("checkpoint") ? Path.of(a.get("checkpoint")) : null;
        Path curve = a.has("curve") ? Path.of(a.get("curve")) : null;
        if (a.has("resume") && checkpoint == null) throw new CliException("train: --resume needs --checkpoint DIR");

        Trainer<?> trainer;
        String data;
        if (gpt) {
            GptJ model = new GptJ(config, attention, seed);
            BatchSource<LmBatch> source;
            List<LmBatch> heldOut;
            if (copy) {
                int block = a.positiveInt("copy-block", 16), symbols = a.positiveInt("copy-symbols", 64);
                if (block >= seq || symbols > 256) throw new CliException("train: need --copy-block < --seq and --copy-symbols <= 256");
                CopyTask task = new CopyTask(batch, seq, block, symbols, seed);
                source = task;
                heldOut = task.heldOut(evalBatches);
                data = "copy task (block " + block + ", " + symbols + " symbols; optimum loss " + String.format("%.4f", task.optimalLoss())
                        + ", unigram floor " + String.format("%.4f", Math.log(symbols)) + ")";
                runInfo.put("data", "copy:" + block + ":" + symbols);
            } else {
                ByteText text = readText(a);
                source = new LmWindows(text.train(), batch, seq, seed);
                heldOut = heldOutOrFail(() -> LmWindows.heldOut(text.heldOut(), batch, seq, evalBatches));
                data = describe(text);
                runInfo.put("data", text.source());
            }
            trainer = new Trainer<>(model, source, heldOut, settings, runInfo, checkpoint, curve, out);
        } else {
            if (a.has("copy-block") || a.has("copy-symbols")) throw new CliException("train: --copy-* apply to --task copy only");
            BertPreTraining model = new BertPreTraining(config, attention, seed);
            ByteText text = readText(a);
            boolean nsp = !a.has("no-nsp");
            BatchSource<MlmBatch> source = new MlmPairs(text.train(), batch, seq, nsp, seed);
            List<MlmBatch> heldOut = heldOutOrFail(() -> MlmPairs.heldOut(text.heldOut(), batch, seq, nsp, evalBatches, seed));
            data = describe(text) + (nsp ? ", MLM + NSP" : ", MLM only");
            runInfo.put("data", text.source());
            runInfo.put("nsp", Boolean.toString(nsp));
            trainer = new Trainer<>(model, source, heldOut, settings, runInfo, checkpoint, curve, out);
        }
        Model<?> model = trainerModel(trainer);
        out.printf("train: %s, %s attention (%s), %d layers, hidden %d, %d heads, inner %d, seq %d, batch %d x %d, %,d parameters, %s%n",
                gpt ? "GPT-J" : "BERT", kind.label(), entry.name(), layers, hidden, heads, inner, seq, batch,
                settings.accumulation(), model.parameters().count(), config.dataType() == DataType.DOUBLE ? "float64" : "float32");
        out.printf("data: %s%n", data);
        out.printf("machine: %d cores, %s%n", Runtime.getRuntime().availableProcessors(), KernelThreads.libraryThreadsText());

        Trainer.Outcome o;
        try {
            o = trainer.run(a.has("resume"), Long.MAX_VALUE);
        } catch (Checkpoint.CheckpointException e) {
            throw new CliException("train: " + e.getMessage());
        } catch (IllegalStateException e) {
            throw new CliException("train: " + e.getMessage());
        }
        out.printf("done: %d steps, last training loss %.4f, held-out loss %.4f (perplexity %.3f, accuracy %.4f), "
                        + "%s, peak RSS %.1f MB, %s%n",
                o.steps(), o.lastLoss(), o.heldOutLoss(), Math.exp(o.heldOutLoss()), o.heldOutAccuracy(),
                Double.isNaN(o.medianTokensPerSecond()) ? "no timed steps"
                        : String.format("median %.0f tokens/s", o.medianTokensPerSecond()),
                o.peakRssBytes() / 1048576.0, KernelThreads.libraryThreadsText());
        double[] sigma = Trainer.stabilizerSummary(model);
        if (!Double.isNaN(sigma[1])) {
            out.printf("stabiliser sigma(m) over %d heads x %d layers: min %.4f, mean %.4f, max %.4f (initial %.4f)%n",
                    heads, layers, sigma[0], sigma[1], sigma[2], 1 / (1 + Math.exp(-config.initialM())));
        }
        if (curve != null) out.println("curve: " + curve);
        if (checkpoint != null) out.println("checkpoint: " + checkpoint);
        return 0;
    }

    private static Model<?> trainerModel(Trainer<?> t) {
        return t.model();
    }

    private static AttentionRegistry.Entry attentionEntry(Args a, AttentionKind kind, boolean causal) {
        if (!a.has("impl")) return AttentionRegistry.defaultFor(kind, causal);
        AttentionRegistry.Entry e = AttentionRegistry.find(a.get("impl")).orElseThrow(() -> new CliException(
                "train: unknown --impl '" + a.get("impl") + "'; known: " + AttentionRegistry.names()));
        if (e.kind() != kind) throw new CliException("train: --impl " + e.name() + " is " + e.kind().label() + " attention, but --attention is " + kind.label());
        if (!e.supports(causal)) throw new CliException("train: --impl " + e.name() + " does not support " + (causal ? "causal (GPT)" : "bidirectional (BERT)") + " attention");
        if (a.has("chunk") && !e.name().equals(ChunkedCausalCosineAttention.NAME)) {
            throw new CliException("train: --chunk applies to " + ChunkedCausalCosineAttention.NAME + " only, not " + e.name());
        }
        return e;
    }

    private static ByteText readText(Args a) {
        String name = a.get("text");
        if (name == null) {
            throw new CliException("train: --text FILE is required (a plain-text file, read as bytes; e.g. "
                    + "harness/src/test/resources/fixtures/alice-chapters-1-3.txt)");
        }
        Path file = Path.of(name);
        if (!Files.isRegularFile(file)) throw new CliException(name + ": no such file (--text)");
        double heldOut = fraction(a, "held-out", 0.1);
        if (heldOut <= 0) throw new CliException("train: --held-out must be in (0, 1)");
        try {
            return ByteText.read(file, heldOut);
        } catch (IOException e) {
            throw new CliException(name + ": cannot read (" + e.getMessage() + ")");
        }
    }

    private static <T> List<T> heldOutOrFail(java.util.function.Supplier<List<T>> make) {
        try {
            return make.get();
        } catch (IllegalArgumentException e) {
            throw new CliException("train: " + e.getMessage());
        }
    }

    private static String describe(ByteText t) {
        return String.format("%s, byte-level, %,d training + %,d held-out bytes", t.source(), t.train().length, t.heldOut().length);
    }

    /**
     * Sets the threads of libnd4j's pool, its OpenMP regions and OpenBLAS (OMP_NUM_THREADS sets all three at
     * start-up). Environment.setMaxThreads is a no-op in ND4J 1.0.0-M2.1, so the pool is limited through its
     * master-thread count.
     */

    private static double real(Args a, String name, double fallback) {
        String v = a.get(name);
        if (v == null) return fallback;
        try {
            double x = Double.parseDouble(v);
            if (Double.isFinite(x)) return x;
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new CliException("train: --" + name + " must be a number, got '" + v + "'");
    }

    private static double fraction(Args a, String name, double fallback) {
        double x = real(a, name, fallback);
        if (x < 0 || x >= 1) throw new CliException("train: --" + name + " must be in [0, 1), got " + x);
        return x;
    }

    private static int nonNegativeInt(Args a, String name) {
        String v = a.get(name);
        if (v == null) return 0;
        try {
            int x = Integer.parseInt(v);
            if (x >= 0) return x;
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new CliException("train: --" + name + " must be a non-negative integer, got '" + v + "'");
    }
}
