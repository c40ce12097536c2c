package org.cottention.harness.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.cottention.api.Attention;
import org.cottention.api.AttentionKind;
import org.cottention.api.ProbabilityDropout;
import org.cottention.api.StabilisedAttention;
import org.cottention.cosine.ChunkedCausalCosineAttention;
import org.cottention.cuda.CudaUnavailableException;
import org.cottention.harness.CliException;
import org.cottention.harness.Options;
import org.cottention.harness.attention.AttentionRegistry;
import org.cottention.harness.attention.ReferenceRecipe;
import org.cottention.harness.data.batch.BatchSource;
import org.cottention.harness.data.batch.ByteClassificationBatches;
import org.cottention.harness.data.batch.ByteText;
import org.cottention.harness.data.batch.CopyTask;
import org.cottention.harness.data.batch.LmWindows;
import org.cottention.harness.data.batch.MlmPairs;
import org.cottention.harness.data.text.LabelledFile;
import org.cottention.harness.results.CsvTable;
import org.cottention.harness.train.AdamW;
import org.cottention.harness.train.Checkpoint;
import org.cottention.harness.train.ClassificationMetrics;
import org.cottention.harness.train.MemoryBudget;
import org.cottention.harness.train.LinearSchedule;
import org.cottention.harness.train.Trainer;
import org.cottention.kernels.KernelThreads;
import org.cottention.models.BertClassifier;
import org.cottention.models.BertPreTraining;
import org.cottention.models.ClassificationBatch;
import org.cottention.models.GptJ;
import org.cottention.models.LmBatch;
import org.cottention.models.MlmBatch;
import org.cottention.models.Model;
import org.cottention.models.ModelConfig;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./cottention train}: trains a small BERT (masked LM + NSP) or GPT-J (causal LM) on byte-level text, or a
 * GPT-J on the copy task, with cosine or softmax attention through the same code. Prints the loss, tokens/s and
 * RSS as it goes, writes the learning curve (CSV, atomically) and checkpoints, and resumes from them. Every value
 * is checked in {@link #plan()} before the model is built.
 */
@Command(name = "train", sortOptions = false,
        description = "train a small BERT (MLM) or GPT-J (causal LM) with cosine or softmax attention",
        customSynopsis = "./cottention train --model bert|gpt --attention cosine|softmax [options]",
        footerHeading = "%n",
        footer = "The defaults follow the paper's recipe (AdamW betas 0.9/0.999, eps 1e-7, weight decay "
                + "0.01 on all parameters, linear warmup then linear decay to 0, no clipping, m = 0.5, the "
                + "reference's projection init). tokens/s counts positions (batch x seq x accum) per second"
                + " of optimiser step. The memory a training step needs is estimated from the shapes first:"
                + " a run that does not fit is refused (exit 2) before the model is built.")
public final class TrainCommand implements Callable<Integer> {
    enum ModelName { bert, gpt }

    enum Kind { cosine, softmax }

    enum Init { reference, baseline }

    enum Dtype { float32, float64 }

    enum Pooling { cls, mean }

    enum Task { text, copy, classify }

    enum DecayOn { all, weights }

    static final class ModelOptions {
        @Option(names = "--model", paramLabel = "bert|gpt", description = "BERT (masked LM + NSP) or GPT-J (causal LM)")
        ModelName model;
        @Option(names = "--attention", paramLabel = "cosine|softmax", description = "the attention kind")
        Kind attention;
        @Option(names = "--layers", paramLabel = "L", description = "layers (default: ${DEFAULT-VALUE})")
        int layers = 2;
        @Option(names = "--hidden", paramLabel = "E", description = "hidden size (default: ${DEFAULT-VALUE})")
        int hidden = 128;
        @Option(names = "--heads", paramLabel = "H", description = "attention heads (default: ${DEFAULT-VALUE})")
        int heads = 4;
        @Option(names = "--intermediate", paramLabel = "I", description = "MLP width (default: 4E)")
        Integer intermediate;
        @Option(names = "--seq", paramLabel = "S", description = "sequence length (default: ${DEFAULT-VALUE})")
        int seq = 128;
        @Option(names = "--rotary-dim", paramLabel = "R", description = "GPT rotary dims (default: min(64, E/H))")
        Integer rotaryDim;
        @Option(names = "--init", paramLabel = "reference|baseline",
                description = "projection init (default: ${DEFAULT-VALUE})")
        Init init = Init.reference;
        @Option(names = "--m-init", paramLabel = "M", description = "initial stabiliser m (default: 0.5)")
        Double mInit;
        @Option(names = "--dropout", paramLabel = "P", description = "hidden dropout (default: BERT 0.1, GPT 0)")
        Double dropout;
        @Option(names = "--attention-dropout", paramLabel = "P",
                description = "dropout on attention probabilities (default: BERT 0.1; softmax only: cosine has none)")
        Double attentionDropout;
        @Option(names = "--impl", paramLabel = "NAME",
                description = "the implementation (default: the fastest for the kind; ./cottention attention --list)")
        String impl;
        @Option(names = "--chunk", paramLabel = "C", description = "cosine-chunked's chunk size (default: "
                + ChunkedCausalCosineAttention.DEFAULT_CHUNK + ")")
        Integer chunk;
        @Option(names = "--dtype", paramLabel = "float32|float64", description = "(default: ${DEFAULT-VALUE})")
        Dtype dtype = Dtype.float32;
        @Option(names = "--init-from", paramLabel = "DIR", description = "--task classify: start from the encoder of "
                + "this BERT pretraining run's --checkpoint DIR (same --hidden, --layers, --heads, --intermediate, --seq)")
        String initFrom;
        @Option(names = "--pooling", paramLabel = "cls|mean", description = "--task classify: what the pooler reads: "
                + "[CLS] (BERT's; trained by NSP) or the mean of the real tokens' states (for an encoder pretrained "
                + "--no-nsp) (default: cls)")
        Pooling pooling;
    }

    static final class DataOptions {
        @Option(names = "--text", paramLabel = "FILE|DIR", arity = "1..*",
                description = "byte-level training text: one or more files, or folders (their files, sorted)")
        List<String> text;
        @Option(names = "--held-out", paramLabel = "F",
                description = "the last fraction F of the text is held out (default: 0.1)")
        Double heldOut;
        @Option(names = "--task", paramLabel = "text|copy|classify", description = "text (--text), the copy task "
                + "(GPT only) or classify (BERT: --train, --valid) (default: ${DEFAULT-VALUE})")
        Task task = Task.text;
        @Option(names = "--train", paramLabel = "FILE", description = "--task classify: labelled examples, TSV/CSV "
                + "with a text and a label column (header optional) or JSON lines")
        String trainFile;
        @Option(names = "--valid", paramLabel = "FILE", description = "--task classify: the validation examples, same format")
        String validFile;
        @Option(names = "--text-column", paramLabel = "NAME|N", description = "--task classify: the text column "
                + "(default: text, sentence, review or content; without a header, the first of two)")
        String textColumn;
        @Option(names = "--label-column", paramLabel = "NAME|N", description = "--task classify: the label column "
                + "(default: label, labels, class, category or sentiment; without a header, the second of two)")
        String labelColumn;
        @Option(names = "--copy-block", paramLabel = "B", description = "copy task block (default: 16)")
        Integer copyBlock;
        @Option(names = "--copy-symbols", paramLabel = "V", description = "copy task alphabet (default: 64)")
        Integer copySymbols;
        @Option(names = "--no-nsp", description = "BERT: masked LM only, no next-sentence prediction")
        boolean noNsp;
    }

    static final class TrainingOptions {
        @Option(names = "--steps", paramLabel = "N", description = "optimiser steps (default: ${DEFAULT-VALUE})")
        long steps = 1000;
        @Option(names = "--batch", paramLabel = "N", description = "sequences per micro-batch (default: ${DEFAULT-VALUE})")
        int batch = 16;
        @Option(names = "--accum", paramLabel = "K", description = "micro-batches per step (default: ${DEFAULT-VALUE})")
        int accum = 1;
        @Option(names = "--lr", paramLabel = "X", description = "peak learning rate (default: ${DEFAULT-VALUE})")
        double lr = 1e-4;
        @Option(names = "--warmup", paramLabel = "N", description = "warmup steps (default: 1%% of steps)")
        Long warmup;
        @Option(names = "--constant-lr", description = "no decay after warmup")
        boolean constantLr;
        @Option(names = "--weight-decay", paramLabel = "X", description = "(default: ${DEFAULT-VALUE})")
        double weightDecay = 0.01;
        @Option(names = "--decay-on", paramLabel = "all|weights", description = "(default: ${DEFAULT-VALUE})")
        DecayOn decayOn = DecayOn.all;
        @Option(names = "--adam-eps", paramLabel = "X", description = "(default: ${DEFAULT-VALUE})")
        double adamEps = 1e-7;
        @Option(names = "--beta1", paramLabel = "X", description = "(default: ${DEFAULT-VALUE})")
        double beta1 = 0.9;
        @Option(names = "--beta2", paramLabel = "X", description = "(default: ${DEFAULT-VALUE})")
        double beta2 = 0.999;
        @Option(names = "--clip", paramLabel = "X", description = "max gradient norm, 0 = none (default: 0)")
        double clip = 0;
        @Option(names = "--seed", paramLabel = "N", description = "(default: ${DEFAULT-VALUE})")
        long seed = 1;
    }

    static final class OutputOptions {
        @Option(names = "--curve", paramLabel = "FILE.csv", description = "the learning curve")
        String curve;
        @Option(names = "--checkpoint", paramLabel = "DIR", description = "checkpoints go here")
        String checkpoint;
        @Option(names = "--checkpoint-every", paramLabel = "N", description = "(default: ${DEFAULT-VALUE})")
        int checkpointEvery = 500;
        @Option(names = "--resume", description = "continue from the latest checkpoint in --checkpoint DIR")
        boolean resume;
        @Option(names = "--log-every", paramLabel = "N", description = "(default: ${DEFAULT-VALUE})")
        int logEvery = 10;
        @Option(names = "--eval-every", paramLabel = "N", description = "held-out evaluation, 0 = at the end (default: 0)")
        int evalEvery = 0;
        @Option(names = "--eval-batches", paramLabel = "N", description = "(default: ${DEFAULT-VALUE}; --task "
                + "classify: the whole --valid file)")
        int evalBatches = 4;
        @Option(names = "--metrics", paramLabel = "FILE.csv",
                description = "--task classify: accuracy, F1 and Matthews correlation on --valid, as a CSV table")
        String metrics;
    }

    static final class MachineOptions {
        @Option(names = "--threads", paramLabel = "N",
                description = "ND4J and OpenBLAS threads (default: OMP_NUM_THREADS or the core count)")
        Integer threads;
    }

    @ArgGroup(validate = false, heading = "%nmodel:%n", order = 1)
    ModelOptions model = new ModelOptions();
    @ArgGroup(validate = false, heading = "%ndata:%n", order = 2)
    DataOptions data = new DataOptions();
    @ArgGroup(validate = false, heading = "%ntraining:%n", order = 3)
    TrainingOptions training = new TrainingOptions();
    @ArgGroup(validate = false, heading = "%noutput:%n", order = 4)
    OutputOptions output = new OutputOptions();
    @ArgGroup(validate = false, heading = "%nmachine:%n", order = 5)
    MachineOptions machine = new MachineOptions();

    private final PrintStream out;

    public TrainCommand(PrintStream out) {
        this.out = out;
    }

    /** Everything a run needs, checked. */
    private record Plan(boolean gpt, AttentionKind kind, AttentionRegistry.Entry entry, Attention attention, int chunk,
                        ModelConfig config,
                        Trainer.Settings settings, int batch, int evalBatches, Path checkpoint, Path curve,
                        ByteText text, CopyTask copy, int copyBlock, int copySymbols, boolean nsp, Classify classify) {}

    /** --task classify: the examples, their labels, and where the encoder comes from and the metrics go. */
    private record Classify(Path trainFile, Path validFile, LabelledFile.Labels labels, int[] trainIds, int[] validIds,
                            ByteClassificationBatches train, ByteClassificationBatches valid, Checkpoint.Loaded init,
                            Path metrics) {}

    @Override
    public Integer call() throws IOException {
        Plan p = plan();
        if (machine.threads != null) KernelThreads.setLibraryThreads(machine.threads);
        Attention attention = p.attention;
        Map<String, String> runInfo = new LinkedHashMap<>();
        runInfo.put("attention", p.entry.name());
        runInfo.put("chunk", Integer.toString(p.chunk));
        runInfo.put("batch", Integer.toString(p.batch));
        runInfo.put("seq", Integer.toString(model.seq));

        Trainer<?> trainer;
        String dataText;
        BertClassifier classifier = null;
        if (p.classify != null) {
            Classify k = p.classify;
            classifier = new BertClassifier(p.config, attention, k.labels.names().size(), p.settings.seed(),
                    model.pooling == Pooling.mean ? BertClassifier.Pooling.MEAN : BertClassifier.Pooling.CLS);
            if (k.init != null) {
                List<String> loaded = Checkpoint.restoreMatching(k.init, classifier.parameters());
                int expected = classifier.parameters().list().size() - 2;      // all but the new classifier layer
                if (loaded.size() != expected) {
                    throw new CliException("train: --init-from " + k.init.path() + ": " + loaded.size() + " of the "
                            + expected + " encoder tensors match this model; pass the pretraining run's --hidden, "
                            + "--layers, --heads, --intermediate and --seq");
                }
                out.printf("init: the encoder from %s (%d tensors; the classifier layer is new)%n", k.init.path(),
                        loaded.size());
            }
            dataText = String.format(Locale.ROOT, "%s (%,d examples) and %s (%,d), byte-level, labels %s", k.trainFile,
                    k.trainIds.length, k.validFile, k.validIds.length, k.labels.describe(k.trainIds));
            runInfo.put("data", k.trainFile + "|" + k.validFile);
            runInfo.put("labels", String.join(",", k.labels.names()));
            trainer = new Trainer<>(classifier, k.train.sampled(p.batch, p.settings.seed()),
                    k.valid.heldOut(p.batch, Integer.MAX_VALUE, 7), p.settings, runInfo, p.checkpoint, p.curve, out);
        } else if (p.gpt) {
            GptJ net = new GptJ(p.config, attention, p.settings.seed());
            BatchSource<LmBatch> source;
            List<LmBatch> heldOut;
            if (p.copy != null) {
                source = p.copy;
                heldOut = p.copy.heldOut(p.evalBatches);
                dataText = String.format(Locale.ROOT, "copy task (block %d, %d symbols; optimum loss %.4f, unigram floor %.4f)",
                        p.copyBlock, p.copySymbols, p.copy.optimalLoss(), Math.log(p.copySymbols));
                runInfo.put("data", "copy:" + p.copyBlock + ":" + p.copySymbols);
            } else {
                source = userData(() -> new LmWindows(p.text.train(), p.batch, model.seq, p.settings.seed()));
                heldOut = userData(() -> LmWindows.heldOut(p.text.heldOut(), p.batch, model.seq, p.evalBatches));
                dataText = describe(p.text);
                runInfo.put("data", p.text.source());
            }
            trainer = new Trainer<>(net, source, heldOut, p.settings, runInfo, p.checkpoint, p.curve, out);
        } else {
            BertPreTraining net = new BertPreTraining(p.config, attention, p.settings.seed());
            BatchSource<MlmBatch> source = userData(() -> new MlmPairs(p.text.train(), p.batch, model.seq, p.nsp,
                    p.settings.seed()));
            List<MlmBatch> heldOut = userData(() -> MlmPairs.heldOut(p.text.heldOut(), p.batch, model.seq, p.nsp,
                    p.evalBatches, p.settings.seed()));
            dataText = describe(p.text) + (p.nsp ? ", MLM + NSP" : ", MLM only");
            runInfo.put("data", p.text.source());
            runInfo.put("nsp", Boolean.toString(p.nsp));
            trainer = new Trainer<>(net, source, heldOut, p.settings, runInfo, p.checkpoint, p.curve, out);
        }
        Model<?> net = trainer.model();
        ModelConfig c = p.config;
        out.printf("train: %s, %s attention (%s), %s, hidden %d, %s, inner %d, seq %d, batch %d x %d, %,d parameters, %s%n",
                p.gpt ? "GPT-J" : p.classify != null ? "BERT classifier" : "BERT", p.kind.label(), p.entry.name(), count(c.layers(), "layer"), c.hidden(),
                count(c.heads(), "head"), c.intermediate(), model.seq, p.batch, p.settings.accumulation(),
                net.parameters().count(), c.dataType() == DataType.DOUBLE ? "float64" : "float32");
        out.printf("data: %s%n", dataText);
        out.printf("machine: %d cores, %s%n", Runtime.getRuntime().availableProcessors(), KernelThreads.libraryThreadsText());
        if (output.resume && !Checkpoint.exists(p.checkpoint)) {
            out.println("resume: no checkpoint in " + p.checkpoint + " yet; starting from step 0");
        }

        Trainer.Outcome o;
        try {
            o = trainer.run(output.resume, Long.MAX_VALUE);
        } catch (Checkpoint.CheckpointException | IllegalStateException e) {
            throw new CliException("train: " + e.getMessage());
        }
        out.printf("done: %d steps, last training loss %.4f, held-out loss %.4f (perplexity %.3f, accuracy %.4f), "
                        + "%s, peak RSS %.1f MB, %s%n",
                o.steps(), o.lastLoss(), o.heldOutLoss(), Math.exp(o.heldOutLoss()), o.heldOutAccuracy(),
                Double.isNaN(o.medianTokensPerSecond()) ? "no timed steps"
                        : String.format("median %.0f tokens/s", o.medianTokensPerSecond()),
                o.peakRssBytes() / 1048576.0, KernelThreads.libraryThreadsText());
        double[] sigma = Trainer.stabilizerSummary(net);
        if (!Double.isNaN(sigma[1])) {
            out.printf("stabiliser sigma(m) over %s x %s: min %.4f, mean %.4f, max %.4f (initial %.4f)%n",
                    count(c.heads(), "head"), count(c.layers(), "layer"), sigma[0], sigma[1], sigma[2],
                    1 / (1 + Math.exp(-c.initialM())));
        }
        if (classifier != null) writeMetrics(p, classifier, o);
        if (p.curve != null) out.println("curve: " + p.curve);
        if (p.checkpoint != null) out.println("checkpoint: " + p.checkpoint);
        return 0;
    }

    /** Every check of the flags and the inputs, in one place, before anything is built or written. */
    private Plan plan() {
        ModelOptions m = model;
        DataOptions d = data;
        TrainingOptions t = training;
        OutputOptions o = output;
        if (m.model == null) throw new CliException("train: --model is required (bert or gpt)");
        if (m.attention == null) throw new CliException("train: --attention is required (cosine or softmax)");
        boolean gpt = m.model == ModelName.gpt;
        AttentionKind kind = AttentionKind.valueOf(m.attention.name().toUpperCase(Locale.ROOT));
        boolean copy = d.task == Task.copy, classify = d.task == Task.classify;
        if (copy && !gpt) throw new CliException("train: --task copy needs --model gpt (a causal model)");
        if (classify && gpt) throw new CliException("train: --task classify needs --model bert");
        if (classify && d.text != null) {
            throw new CliException("train: --text and --task classify exclude each other: classification reads --train "
                    + "and --valid; drop one");
        }
        if (!classify) {
            String[] only = {"--train", "--valid", "--text-column", "--label-column", "--init-from", "--pooling",
                "--metrics"};
            Object[] given = {d.trainFile, d.validFile, d.textColumn, d.labelColumn, m.initFrom, m.pooling, o.metrics};
            for (int i = 0; i < only.length; i++) {
                if (given[i] != null) throw new CliException("train: " + only[i] + " applies to --task classify only");
            }
        }
        if (classify && d.heldOut != null) throw new CliException("train: --held-out applies to --text; classify holds out --valid");
        if (classify && d.noNsp) throw new CliException("train: --no-nsp applies to pretraining, not --task classify");
        if (copy && d.text != null) {
            throw new CliException("train: --text and --task copy exclude each other: the copy task makes its own "
                    + "data; drop one");
        }
        if (copy && d.heldOut != null) throw new CliException("train: --held-out applies to --text, not --task copy");
        if (!copy && (d.copyBlock != null || d.copySymbols != null)) {
            throw new CliException("train: --copy-block and --copy-symbols apply to --task copy only");
        }
        if (gpt && d.noNsp) throw new CliException("train: --no-nsp applies to --model bert only");
        if (machine.threads != null) Options.positive("--threads", machine.threads, 1);

        AttentionRegistry.Entry entry = attentionEntry(kind, gpt);
        int chunk = Options.positive("--chunk", m.chunk, ChunkedCausalCosineAttention.DEFAULT_CHUNK);
        Attention attention;
        try {
            attention = entry.create(gpt, chunk);
        } catch (CudaUnavailableException e) {
            throw new CliException("train: " + e.getMessage());
        }
        int layers = Options.positive("--layers", m.layers, 1), hidden = Options.positive("--hidden", m.hidden, 1);
        int heads = Options.positive("--heads", m.heads, 1), seq = Options.positive("--seq", m.seq, 1);
        int inner = Options.positive("--intermediate", m.intermediate, 4 * hidden);
        int batch = Options.positive("--batch", t.batch, 1);
        if (hidden % heads != 0) throw new CliException("train: --hidden " + hidden + " must be a multiple of --heads " + heads);
        int headDim = hidden / heads;
        ModelConfig config;
        if (gpt) {
            int rotary = Options.positive("--rotary-dim", m.rotaryDim, Math.max(2, Math.min(64, headDim - headDim % 2)));
            if (rotary % 2 != 0 || rotary > headDim || headDim % 2 != 0) {
                throw new CliException("train: --rotary-dim must be even and <= the head dim " + headDim + " (even), got " + rotary);
            }
            config = ModelConfig.gptj(copy ? 256 : ByteText.GPT_VOCAB, hidden, layers, heads, inner, rotary, seq);
        } else {
            if (m.rotaryDim != null) throw new CliException("train: --rotary-dim applies to --model gpt only");
            if (seq < 8) throw new CliException("train: --seq " + seq + " is too short for BERT; it needs at least 8");
            config = ModelConfig.bert(ByteText.BERT_VOCAB, hidden, layers, heads, inner, seq).withPadTokenId(ByteText.PAD);
        }
        double dropout = m.dropout == null ? config.hiddenDropout() : Options.inHalfOpen("--dropout", m.dropout, 0, 1);
        double attentionDropout = gpt ? 0.0 : config.attentionDropout();
        if (m.attentionDropout != null) {
            attentionDropout = Options.inHalfOpen("--attention-dropout", m.attentionDropout, 0, 1);
            if (attentionDropout > 0 && !(attention instanceof ProbabilityDropout)) {
                throw new CliException("train: --attention-dropout: " + entry.name() + " has no attention probabilities "
                        + "to drop (cosine attention has none); leave it out or use softmax");
            }
        }
        double mInit = m.mInit == null ? StabilisedAttention.INITIAL_M : Options.inRange("--m-init", m.mInit, -1e3, 1e3);
        config = config.withDropout(dropout, attentionDropout)
                .withInitialM(mInit)
                .withProjectionInit(m.init == Init.baseline ? ModelConfig.ProjectionInit.BASELINE
                        : ReferenceRecipe.projectionInit(kind))
                .withDataType(m.dtype == Dtype.float64 ? DataType.DOUBLE : DataType.FLOAT);

        long steps = Options.positive("--steps", t.steps);
        long warmup = t.warmup != null ? t.warmup : Math.round(steps * 0.01);
        if (warmup < 0) throw new CliException("train: --warmup must be a non-negative integer, got " + warmup);
        boolean decay = !t.constantLr;
        if (decay && warmup >= steps) throw new CliException("train: --warmup " + warmup + " must be < --steps " + steps);
        AdamW.Config adam = new AdamW.Config(Options.inHalfOpen("--beta1", t.beta1, 0, 1),
                Options.inHalfOpen("--beta2", t.beta2, 0, 1), Options.above("--adam-eps", t.adamEps, 0),
                Options.atLeast("--weight-decay", t.weightDecay, 0),
                t.decayOn == DecayOn.all ? AdamW.DecayOn.ALL : AdamW.DecayOn.WEIGHTS);
        if (t.seed < 0) throw new CliException("train: --seed must be a non-negative integer, got " + t.seed);
        Trainer.Settings settings = new Trainer.Settings(steps, Options.positive("--accum", t.accum, 1),
                Options.atLeast("--lr", t.lr, 0), new LinearSchedule(warmup, steps, decay), Options.atLeast("--clip", t.clip, 0),
                adam, t.seed, Options.positive("--log-every", o.logEvery, 1), Options.nonNegative("--eval-every", o.evalEvery),
                Options.positive("--checkpoint-every", o.checkpointEvery, 1));
        int evalBatches = Options.positive("--eval-batches", o.evalBatches, 1);
        if (o.resume && o.checkpoint == null) throw new CliException("train: --resume needs --checkpoint DIR");

        ByteText text = null;
        CopyTask copyTask = null;
        Classify classifyPlan = null;
        int block = Options.positive("--copy-block", d.copyBlock, 16), symbols = Options.positive("--copy-symbols", d.copySymbols, 64);
        if (copy) {
            if (block >= seq || symbols < 2 || symbols > 256) {
                throw new CliException("train: need --copy-block < --seq (" + block + " vs " + seq
                        + ") and --copy-symbols in [2, 256] (" + symbols + ")");
            }
            copyTask = new CopyTask(batch, seq, block, symbols, t.seed);
        } else if (classify) {
            classifyPlan = classifyPlan(d, m, o, config, attention, seq);
        } else {
            text = readText(d, gpt, batch, seq);
        }
        if (classify) {
            requireClassifierMemory(config, attention, classifyPlan.labels.names().size(), batch, seq);
        } else {
            requireMemory(gpt, config, attention, batch, seq, chunk);
        }
        Path metrics = classifyPlan == null ? null : classifyPlan.metrics;
        Path checkpoint = o.checkpoint == null ? null : Path.of(o.checkpoint);
        Path curve = o.curve == null ? null : Path.of(o.curve);
        // Last, and both checked before either is created: a run refused should leave no new folder behind.
        if (curve != null) Options.canCreate("--curve", curve.toAbsolutePath().getParent());
        if (curve != null && Files.isDirectory(curve)) throw new CliException("train: --curve " + curve + ": is a folder; name a file");
        if (checkpoint != null) Options.canCreate("--checkpoint", checkpoint);
        if (metrics != null) Options.canCreate("--metrics", metrics.toAbsolutePath().getParent());
        if (curve != null) Options.writableFile("--curve", curve);
        if (checkpoint != null) Options.writableDirectory("--checkpoint", checkpoint);
        if (metrics != null) Options.writableFile("--metrics", metrics);
        return new Plan(gpt, kind, entry, attention, chunk, config, settings, batch, evalBatches, checkpoint, curve, text, copyTask,
                block, symbols, !d.noNsp, classifyPlan);
    }

    /** --task classify: both files read and checked, the labels mapped, the pretraining checkpoint matched. */
    private static Classify classifyPlan(DataOptions d, ModelOptions m, OutputOptions o, ModelConfig config,
                                         Attention attention, int seq) {
        Path trainFile = Path.of(Options.required("--train", d.trainFile)), validFile = Path.of(Options.required("--valid",
                d.validFile));
        List<LabelledFile.Row> train = LabelledFile.read(trainFile, "--train", d.textColumn, d.labelColumn);
        List<LabelledFile.Row> valid = LabelledFile.read(validFile, "--valid", d.textColumn, d.labelColumn);
        LabelledFile.Labels labels = LabelledFile.Labels.of(train, trainFile, "--train");
        int[] trainIds = labels.ids(train, trainFile, "--train"), validIds = labels.ids(valid, validFile, "--valid");
        Checkpoint.Loaded init = null;
        if (m.initFrom != null) {
            Path dir = Path.of(m.initFrom);
            if (!Checkpoint.exists(dir)) {
                throw new CliException("train: --init-from " + dir + ": no checkpoint there; give the --checkpoint DIR of "
                        + "a './cottention train --model bert' pretraining run");
            }
            try {
                init = Checkpoint.loadLatest(dir);
            } catch (IOException e) {
                throw new CliException("train: --init-from " + dir + ": " + e.getMessage());
            }
            requireSameEncoder(init, config, attention);
        }
        List<String> trainTexts = train.stream().map(LabelledFile.Row::text).toList();
        List<String> validTexts = valid.stream().map(LabelledFile.Row::text).toList();
        return new Classify(trainFile, validFile, labels, trainIds, validIds,
                new ByteClassificationBatches(trainTexts, trainIds, seq), new ByteClassificationBatches(validTexts, validIds, seq),
                init, o.metrics == null ? null : Path.of(o.metrics));
    }

    /** The checkpoint's encoder has this run's shape and attention kind, or a one-line error says which flag differs. */
    private static void requireSameEncoder(Checkpoint.Loaded init, ModelConfig config, Attention attention) {
        Map<String, String> then = init.state().settings(), now = config.toMap();
        if (!"BERT".equals(then.get("model.family"))) {
            throw new CliException("train: --init-from " + init.path() + ": not a BERT checkpoint (family "
                    + then.get("model.family") + "); give a '--model bert' pretraining run's --checkpoint DIR");
        }
        String[][] keys = {{"hidden", "--hidden"}, {"layers", "--layers"}, {"heads", "--heads"},
            {"intermediate", "--intermediate"}, {"max_positions", "--seq"}, {"vocab", "the byte vocabulary"}};
        for (String[] k : keys) {
            String a = then.get("model." + k[0]), b = now.get(k[0]);
            if (a != null && !a.equals(b)) {
                throw new CliException("train: --init-from " + init.path() + ": pretrained with " + k[1] + " " + a
                        + ", this run has " + b + "; pass " + k[1] + " " + a);
            }
        }
        String pretrained = then.get("run.attention");
        AttentionKind was = pretrained == null ? null : AttentionRegistry.find(pretrained).map(AttentionRegistry.Entry::kind)
                .orElse(null);
        AttentionKind is = AttentionRegistry.find(attention.name()).map(AttentionRegistry.Entry::kind).orElse(was);
        if (was != null && was != is) {
            throw new CliException("train: --init-from " + init.path() + ": pretrained with " + was.label()
                    + " attention (" + pretrained + "); pass --attention " + was.label());
        }
    }

    /** Accuracy, F1 and MCC on the validation file: printed, and written as a CSV table with --metrics. */
    private void writeMetrics(Plan p, BertClassifier model, Trainer.Outcome o) throws IOException {
        Classify k = p.classify;
        List<Integer> predicted = new java.util.ArrayList<>(), truth = new java.util.ArrayList<>();
        for (ClassificationBatch b : k.valid.heldOut(p.batch, Integer.MAX_VALUE, 7)) {
            for (int y : model.predict(b)) predicted.add(y);
            for (int y : b.labels()) truth.add(y);
        }
        ClassificationMetrics mt = ClassificationMetrics.of(predicted.stream().mapToInt(Integer::intValue).toArray(),
                truth.stream().mapToInt(Integer::intValue).toArray(), k.labels.names().size());
        List<String> names = k.labels.names();
        out.printf(Locale.ROOT, "metrics on %s: accuracy %.4f, F1 %.4f (%s), Matthews %.4f over %d examples%n",
                k.validFile, mt.accuracy(), mt.f1(), names.size() == 2 ? "of '" + names.get(1) + "'" : "macro",
                mt.matthews(), mt.count());
        if (k.metrics == null) return;
        CsvTable table = new CsvTable(METRICS_COLUMNS);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("task", "classify");
        row.put("train_file", k.trainFile.toString());
        row.put("valid_file", k.validFile.toString());
        row.put("attention", p.kind.label());
        row.put("implementation", p.entry.name());
        row.put("init_from", k.init == null ? "" : k.init.path().toString());
        row.put("parameters", model.parameters().count());
        row.put("steps", o.steps());
        row.put("labels", String.join(" ", names));
        row.put("train_examples", k.trainIds.length);
        row.put("eval_examples", mt.count());
        row.put("train_loss", o.lastLoss());
        row.put("eval_loss", o.heldOutLoss());
        row.put("eval_accuracy", mt.accuracy());
        row.put("f1", mt.f1());
        row.put("matthews", mt.matthews());
        row.put("tokens_per_s", o.medianTokensPerSecond());
        table.add(row);
        table.write(k.metrics);
        out.println("metrics: " + k.metrics);
    }

    /** The --metrics table (one row per run; f1: of the second label with two, else the macro average). */
    static final List<String> METRICS_COLUMNS = List.of("task", "train_file", "valid_file", "attention", "implementation",
            "init_from", "parameters", "steps", "labels", "train_examples", "eval_examples", "train_loss", "eval_loss",
            "eval_accuracy", "f1", "matthews", "tokens_per_s");

    private static void requireClassifierMemory(ModelConfig c, Attention attention, int classes, int batch, int seq) {
        long parameters = new BertClassifier(c, attention, classes, 1, BertClassifier.Pooling.CLS, false).parameters().count();
        long step = BertClassifier.stepBytes(c, attention, classes, batch, seq, true);
        long eval = BertClassifier.stepBytes(c, attention, classes, batch, seq, false);
        MemoryBudget.require("train", String.format(Locale.ROOT, "a BERT classifier (%s, hidden %d, %,d parameters) at "
                + "--batch %d --seq %d", count(c.layers(), "layer"), c.hidden(), parameters, batch, seq),
                MemoryBudget.training(parameters, c.dataType(), step, eval),
                "use a smaller --batch (with --accum for the same examples per step), --seq, --hidden or --layers");
    }

    /** The run's estimate (parameters, optimiser, one training and one evaluation step) against the machine's memory. */
    private static void requireMemory(boolean gpt, ModelConfig c, Attention attention, int batch, int seq, int chunk) {
        long parameters, step, eval;
        if (gpt) {
            parameters = new GptJ(c, attention, 1, false).parameters().count();
            step = GptJ.stepBytes(c, attention, batch, seq, true);
            eval = GptJ.stepBytes(c, attention, batch, seq, false);
        } else {
            parameters = new BertPreTraining(c, attention, 1, false).parameters().count();
            long rows = BertPreTraining.labelledRowsAtMost((long) batch * seq);
            step = BertPreTraining.stepBytes(c, attention, batch, seq, rows, true);
            eval = BertPreTraining.stepBytes(c, attention, batch, seq, rows, false);
        }
        String what = String.format(Locale.ROOT, "%s (%s, hidden %d, %,d parameters) at --batch %d --seq %d",
                gpt ? "GPT-J" : "BERT", count(c.layers(), "layer"), c.hidden(), parameters, batch, seq);
        String fix = chunk > seq && attention.name().equals(ChunkedCausalCosineAttention.NAME)
                ? "a --chunk C costs C x C per head even when C > --seq; use a --chunk near --seq or below (default "
                        + ChunkedCausalCosineAttention.DEFAULT_CHUNK + ")"
                : "use a smaller --batch (with --accum for the same tokens per step), --seq, --hidden or --layers";
        MemoryBudget.require("train", what, MemoryBudget.training(parameters, c.dataType(), step, eval), fix);
    }

    private AttentionRegistry.Entry attentionEntry(AttentionKind kind, boolean causal) {
        String impl = model.impl;
        AttentionRegistry.Entry e;
        if (impl == null) {
            e = AttentionRegistry.defaultFor(kind, causal);
        } else {
            e = AttentionRegistry.find(impl).orElseThrow(() -> new CliException(
                    "train: unknown --impl '" + impl + "'; known: " + AttentionRegistry.names()));
            if (e.kind() != kind) {
                throw new CliException("train: --impl " + e.name() + " is " + e.kind().label()
                        + " attention, but --attention is " + kind.label());
            }
            if (!e.supports(causal)) {
                throw new CliException("train: --impl " + e.name() + " does not support "
                        + (causal ? "causal (GPT)" : "bidirectional (BERT)") + " attention");
            }
        }
        if (model.chunk != null && !e.name().equals(ChunkedCausalCosineAttention.NAME)) {
            throw new CliException("train: --chunk applies to " + ChunkedCausalCosineAttention.NAME + " only, not " + e.name());
        }
        return e;
    }

    /** The text (files and folders' files, in order), checked to hold one training window and one held-out batch. */
    private static ByteText readText(DataOptions d, boolean gpt, int batch, int seq) {
        if (d.text == null || d.text.isEmpty()) {
            throw new CliException("train: --text FILE is required (a plain-text file, read as bytes; e.g. "
                    + "harness/src/test/resources/fixtures/alice-chapters-1-3.txt), or --task copy (GPT)");
        }
        List<Path> files = new java.util.ArrayList<>();
        for (String name : d.text) {
            Path p = Path.of(name);
            if (Files.isDirectory(p)) {
                List<Path> inside;
                try (java.util.stream.Stream<Path> walk = Files.walk(p)) {
                    inside = walk.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().startsWith("."))
                            .sorted().toList();
                } catch (IOException | java.io.UncheckedIOException e) {
                    throw new CliException("train: --text " + name + ": cannot list the folder (" + e.getMessage() + ")");
                }
                if (inside.isEmpty()) throw new CliException("train: --text " + name + ": the folder has no files");
                files.addAll(inside);
            } else if (Files.isRegularFile(p)) {
                files.add(p);
            } else {
                throw new CliException("train: --text " + name + ": no such file or folder");
            }
        }
        String name = d.text.size() == 1 && files.size() == 1 ? d.text.get(0)
                : String.join("+", d.text) + " (" + files.size() + " files)";
        double heldOut = d.heldOut == null ? 0.1 : d.heldOut;
        if (!(heldOut > 0 && heldOut < 1)) throw new CliException("train: --held-out must be in (0, 1), got " + heldOut);
        ByteText text;
        try {
            text = ByteText.read(files, name, heldOut);
        } catch (IOException e) {
            throw new CliException("train: --text " + name + ": cannot read (" + e.getMessage() + ")");
        }
        long trainNeeds = gpt ? seq + 2L : 2L * seq, heldNeeds = gpt ? (long) batch * seq + 1 : 2L * seq;
        if (text.train().length < trainNeeds || text.heldOut().length < heldNeeds) {
            throw new CliException(String.format(Locale.ROOT, "train: --text %s: %,d bytes (%,d training + %,d held out) "
                    + "are too few for --seq %d and --batch %d: training needs %,d bytes and the held-out part %,d; use a "
                    + "longer text, a smaller --seq or --batch, or a larger --held-out", name,
                    text.train().length + text.heldOut().length, text.train().length, text.heldOut().length, seq, batch,
                    trainNeeds, heldNeeds));
        }
        return text;
    }

    /** A data source built from checked inputs; what it still refuses names the input. */
    private <T> T userData(Supplier<T> make) {
        try {
            return make.get();
        } catch (IllegalArgumentException e) {
            throw new CliException("train: --text " + String.join(" ", data.text) + ": " + e.getMessage());
        }
    }

    private static String describe(ByteText t) {
        return String.format("%s, byte-level, %,d training + %,d held-out bytes", t.source(), t.train().length, t.heldOut().length);
    }

    /** "1 layer", "2 layers". */
    static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
