package org.cottention.harness.train;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.cottention.harness.io.AtomicFiles;
import org.cottention.harness.io.Npy;
import org.cottention.models.Parameter;
import org.cottention.models.Parameters;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Training checkpoints: parameters, AdamW moments, the step, the run's settings (model config, seed, schedule...;
 * every random draw of a run is a function of its seed and counters, so the seed and the step ARE the RNG state
 * and the data position) and the learning curve so far.
 *
 * <p>Layout: DIR/step-00000100/{manifest.properties, parameters.tsv, params.npy, adam_m.npy, adam_v.npy, curve.csv}
 * and DIR/latest naming the newest. A checkpoint is written completely into a hidden staging directory, renamed into
 * place atomically, and only then does {@code latest} (rewritten atomically) point at it; older ones beyond the
 * last two are deleted. A crash at any moment leaves {@code latest} naming a complete checkpoint. Loading verifies
 * the SHA-256 of every file recorded in the manifest.
 */
public final class Checkpoint {
    private Checkpoint() {}

    public static final String FORMAT = "cottention-checkpoint-1";
    static final String LATEST = "latest";
    private static final int KEEP = 2;
    private static final String[] DATA_FILES = {"params.npy", "adam_m.npy", "adam_v.npy", "parameters.tsv", "curve.csv"};

    /** What a checkpoint holds besides the arrays. */
    public record State(long step, long optimizerSteps, Map<String, String> settings, List<String> curve) {}

    /** A checkpoint read back: its directory, state, and flat arrays (P) as doubles. */
    public record Loaded(Path path, State state, double[] params, double[] firstMoment, double[] secondMoment,
                         List<String> parameterIndex) {}

    /** Thrown for a missing, incomplete or corrupt checkpoint; the message names the file. */
    public static final class CheckpointException extends IOException {
        public CheckpointException(String message) {
            super(message);
        }
    }

    public static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve(LATEST));
    }

    /** Saves step {@code state.step()}; returns its directory. Must run outside any ND4J workspace. */
    public static Path save(Path dir, Parameters params, AdamW optimizer, State state) throws IOException {
        Files.createDirectories(dir);
        String name = String.format("step-%08d", state.step());
        Path target = dir.resolve(name);
        if (Files.exists(target)) return target;                     // this step is already saved
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("params.npy", Npy.encode(params.values()));
        files.put("adam_m.npy", Npy.encode(optimizer.firstMoment()));
        files.put("adam_v.npy", Npy.encode(optimizer.secondMoment()));
        files.put("parameters.tsv", parameterIndex(params).getBytes(StandardCharsets.UTF_8));
        files.put("curve.csv", (String.join("\n", state.curve()) + "\n").getBytes(StandardCharsets.UTF_8));
        Properties manifest = new Properties();
        manifest.setProperty("format", FORMAT);
        manifest.setProperty("step", Long.toString(state.step()));
        manifest.setProperty("optimizer_steps", Long.toString(state.optimizerSteps()));
        manifest.setProperty("parameter_count", Long.toString(params.count()));
        manifest.setProperty("dtype", params.dataType().name());
        state.settings().forEach((k, v) -> manifest.setProperty("setting." + k, v));
        for (Map.Entry<String, byte[]> e : files.entrySet()) manifest.setProperty("sha256." + e.getKey(), sha256(e.getValue()));
        StringWriter text = new StringWriter();
        manifest.store(text, "cottention training checkpoint");
        files.put("manifest.properties", text.toString().getBytes(StandardCharsets.UTF_8));

        Path staging = Files.createTempDirectory(dir, ".staging-" + name + "-");
        try {
            for (Map.Entry<String, byte[]> e : files.entrySet()) Files.write(staging.resolve(e.getKey()), e.getValue());
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            AtomicFiles.deleteTree(staging);
        }
        AtomicFiles.writeString(dir.resolve(LATEST), name + "\n");
        prune(dir, name);
        return target;
    }

    /** Reads the checkpoint {@code latest} names and verifies every file's checksum. */
    public static Loaded loadLatest(Path dir) throws IOException {
        Path latest = dir.resolve(LATEST);
        if (!Files.isRegularFile(latest)) throw new CheckpointException(dir + ": no checkpoint (no 'latest' file)");
        String name = Files.readString(latest).trim();
        if (!name.matches("step-\\d{8}")) throw new CheckpointException(latest + ": malformed (expected step-NNNNNNNN, got '" + name + "')");
        return load(dir.resolve(name));
    }

    public static Loaded load(Path path) throws IOException {
        Path manifestFile = path.resolve("manifest.properties");
        if (!Files.isRegularFile(manifestFile)) throw new CheckpointException(path + ": incomplete checkpoint (no manifest.properties)");
        Properties manifest = new Properties();
        manifest.load(new StringReader(Files.readString(manifestFile)));
        if (!FORMAT.equals(manifest.getProperty("format"))) {
            throw new CheckpointException(manifestFile + ": not a " + FORMAT + " manifest");
        }
        for (String f : DATA_FILES) {
            Path file = path.resolve(f);
            if (!Files.isRegularFile(file)) throw new CheckpointException(file + ": missing from the checkpoint");
            String expected = manifest.getProperty("sha256." + f);
            if (expected == null || !expected.equals(sha256(Files.readAllBytes(file)))) {
                throw new CheckpointException(file + ": checksum mismatch (corrupt or modified); delete " + path
                        + " and point " + LATEST + " at an older checkpoint, or start afresh");
            }
        }
        Map<String, String> settings = new TreeMap<>();
        for (String key : manifest.stringPropertyNames()) {
            if (key.startsWith("setting.")) settings.put(key.substring("setting.".length()), manifest.getProperty(key));
        }
        List<String> curve = new ArrayList<>();
        for (String line : Files.readAllLines(path.resolve("curve.csv"))) if (!line.isEmpty()) curve.add(line);
        State state = new State(Long.parseLong(manifest.getProperty("step")), Long.parseLong(manifest.getProperty("optimizer_steps")),
                settings, curve);
        return new Loaded(path, state, Npy.read(path.resolve("params.npy")).values(),
                Npy.read(path.resolve("adam_m.npy")).values(), Npy.read(path.resolve("adam_v.npy")).values(),
                Files.readAllLines(path.resolve("parameters.tsv")));
    }

    /** Copies a loaded checkpoint into a model's parameters and its optimiser; the parameter layout must match. */
    public static void restore(Loaded c, Parameters params, AdamW optimizer) throws CheckpointException {
        List<String> expected = List.of(parameterIndex(params).split("\n"));
        if (!expected.equals(c.parameterIndex())) {
            throw new CheckpointException(c.path() + ": its parameters (" + c.parameterIndex().size()
                    + " tensors) do not match this model's (" + expected.size() + "); same --model, sizes and --attention?");
        }
        DataType dt = params.dataType();
        params.values().assign(Nd4j.create(c.params(), new long[] {c.params().length}, DataType.DOUBLE).castTo(dt));
        if (optimizer != null) {
            optimizer.restore(c.state().optimizerSteps(), toNd(c.firstMoment(), dt), toNd(c.secondMoment(), dt));
        }
    }

    /**
     * Copies the tensors of a checkpoint that this model also has (same name and shape), e.g. a pre-trained encoder
     * into a classifier; returns the names copied.
     */
    public static List<String> restoreMatching(Loaded c, Parameters params) {
        Map<String, long[]> offsets = new LinkedHashMap<>();
        for (String line : c.parameterIndex()) {
            String[] f = line.split("\t");
            offsets.put(f[0] + "\t" + f[2], new long[] {Long.parseLong(f[1])});
        }
        List<String> copied = new ArrayList<>();
        for (Parameter p : params.list()) {
            long[] at = offsets.get(p.name() + "\t" + shapeText(p.shape()));
            if (at == null) continue;
            double[] part = new double[Math.toIntExact(p.length())];
            System.arraycopy(c.params(), Math.toIntExact(at[0]), part, 0, part.length);
            p.value().assign(Nd4j.create(part, p.shape(), DataType.DOUBLE).castTo(params.dataType()));
            copied.add(p.name());
        }
        return copied;
    }

    private static INDArray toNd(double[] v, DataType dt) {
        return Nd4j.create(v, new long[] {v.length}, DataType.DOUBLE).castTo(dt);
    }

    /** One line per tensor: name, offset, shape. */
    static String parameterIndex(Parameters params) {
        StringBuilder sb = new StringBuilder();
        for (Parameter p : params.list()) {
            if (sb.length() > 0) sb.append('\n');
            sb.append(p.name()).append('\t').append(p.offset()).append('\t').append(shapeText(p.shape()));
        }
        return sb.toString();
    }

    private static String shapeText(long[] shape) {
        StringBuilder sb = new StringBuilder();
        for (long d : shape) sb.append(sb.length() == 0 ? "" : "x").append(d);
        return sb.toString();
    }

    private static void prune(Path dir, String newest) throws IOException {
        List<Path> steps = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "step-*")) {
            for (Path p : ds) steps.add(p);
        }
        steps.sort(Comparator.comparing(p -> p.getFileName().toString()));
        for (int i = 0; i < steps.size() - KEEP; i++) {
            if (!steps.get(i).getFileName().toString().equals(newest)) AtomicFiles.deleteTree(steps.get(i));
        }
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
