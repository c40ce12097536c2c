package org.cottention.harness.experiment;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The probes behind the BERT recipe (docs/bert.md): runs configurations of {@link BertExperiment} with the default
 * profile's recipe changed by KEY=VALUE arguments (the fields of {@link BertExperiment.Size}), in this JVM, and
 * prints each final row. Not a test; run it with scripts/bert-probe.sh, e.g.
 * <pre>
 *   scripts/bert-probe.sh /tmp/probe preSteps=600 maskRate=0.15 -- baseline-unigram pretrain-softmax \
 *       eval-mlm:fair:softmax:1:0.4
 * </pre>
 */
public final class BertProbe {
    private BertProbe() {}

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        Map<String, String> changes = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>();
        boolean configs = false;
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--")) configs = true;
            else if (configs) keys.add(args[i]);
            else changes.put(args[i].substring(0, args[i].indexOf('=')), args[i].substring(args[i].indexOf('=') + 1));
        }
        BertExperiment.Size recipe = change(BertExperiment.size(Profile.DEFAULT), changes);
        System.out.println("probe recipe: " + recipe);
        BertExperiment e = new BertExperiment(p -> recipe);
        for (String key : keys) {
            if (key.startsWith("synthetic:")) {             // synthetic:repeat|alternate: a task that needs attention
                int[] train = synthetic(key.substring(10), 2_000_000, 1), valid = synthetic(key.substring(10), 200_000, 2);
                for (Map<String, Object> row : e.pretrain(recipe, BertExperiment.Arm.FAIR, "softmax", 1,
                        new BertExperiment.Streams(train, valid), out, System.out)) {
                    if (!String.valueOf(row.get("phase")).endsWith("curve")) System.out.println("probe row " + key + ": " + row);
                    else System.out.printf(Locale.ROOT, "probe curve %s step %s: eval %s acc %s%n", key, row.get("step"),
                            row.get("eval_loss"), row.get("eval_accuracy"));
                }
                continue;
            }
            if (key.startsWith("eval-mlm:")) {             // eval-mlm:ARM:KIND:SEED:RATE: that checkpoint at another mask rate
                String[] f = key.split(":");
                evalMlm(recipe, out, BertExperiment.Arm.parse(f[1]), f[2], Integer.parseInt(f[3]), Double.parseDouble(f[4]));
                continue;
            }
            RunConfig c = e.configs(Profile.DEFAULT).stream().filter(x -> x.key().equals(key)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no configuration " + key));
            for (Map<String, Object> row : e.run(c, Profile.DEFAULT, out, System.out)) {
                if (String.valueOf(row.get("phase")).endsWith("curve")) {
                    System.out.printf(Locale.ROOT, "probe curve %s step %s: train %s eval %s acc %s%n", key, row.get("step"),
                            row.get("train_loss"), row.get("eval_loss"), row.get("eval_accuracy"));
                } else {
                    System.out.println("probe row " + key + ": " + row);
                }
            }
        }
    }

    /**
     * repeat: runs of 1000 copies of a random letter; alternate: runs of 1000 bytes c1 c2 c1 c2 ...; permutation: runs
     * of 1000 letters where each is a fixed permutation of the one before (a masked letter follows from its left
     * neighbour by a non-identity rule, as in text, and the bag of letters of a window says nothing).
     */
    static int[] synthetic(String kind, int n, long seed) {
        java.util.Random rng = new java.util.Random(seed);
        int[] t = new int[n];
        if (kind.equals("permutation")) {
            java.util.List<Integer> pi = new java.util.ArrayList<>();
            for (int i = 0; i < 26; i++) pi.add(i);
            java.util.Collections.shuffle(pi, new java.util.Random(42));
            for (int start = 0; start < n; start += 1000) {
                int c = rng.nextInt(26);
                for (int i = start; i < Math.min(n, start + 1000); i++) {
                    t[i] = 'a' + c;
                    c = pi.get(c);
                }
            }
            return t;
        }
        for (int start = 0; start < n; start += 1000) {
            int a = 'a' + rng.nextInt(26), b = 'a' + rng.nextInt(26);
            for (int i = start; i < Math.min(n, start + 1000); i++) t[i] = kind.equals("repeat") || (i - start) % 2 == 0 ? a : b;
        }
        return t;
    }

    static void evalMlm(BertExperiment.Size r, Path out, BertExperiment.Arm arm, String kind, int seed, double rate)
            throws Exception {
        String key = BertExperiment.pretrainKey(arm, kind, seed);
        var data = ModelData.root(Profile.DEFAULT);
        var streams = BertExperiment.streams(data);
        var held = new org.cottention.harness.data.batch.MlmWindows(streams.validation(), r.batch(), r.seq(), rate,
                BertExperiment.HELD_OUT_SEED).heldOut(r.evalBatches());
        var model = new org.cottention.models.BertPreTraining(BertExperiment.config(r, arm, kind, 0), ModelRuns.attention(kind, false), seed);
        var ck = org.cottention.harness.train.Checkpoint.loadLatest(BertExperiment.pretrainDir(out, arm, kind, seed).resolve("checkpoints"));
        org.cottention.harness.train.Checkpoint.restoreMatching(ck, model.parameters());
        double sum = 0;
        long n = 0, correct = 0;
        for (var b : held) {
            try (var ws = org.cottention.models.Workspaces.open("probe")) {
                var l = model.evaluate(b);
                sum += l.main() * l.count();
                n += l.count();
                correct += l.correct();
            }
        }
        double[] u = org.cottention.harness.train.Unigram.fit(streams.train(), 256).evaluate(held);
        System.out.printf(Locale.ROOT, "probe eval-mlm %s at mask rate %.2f: loss %.4f accuracy %.4f over %d targets; "
                + "unigram %.4f%n", key, rate, sum / n, (double) correct / n, n, u[0]);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object enumValue(Class<?> type, String v) {
        return Enum.valueOf((Class) type, v);
    }

    /** The recipe with the named fields replaced (by reflection over the record's components). */
    static BertExperiment.Size change(BertExperiment.Size r, Map<String, String> changes) throws Exception {
        var components = BertExperiment.Size.class.getRecordComponents();
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
            String v = changes.remove(components[i].getName());
            values[i] = v == null ? components[i].getAccessor().invoke(r)
                    : types[i] == int.class ? (Object) Integer.parseInt(v) : types[i] == long.class ? (Object) Long.parseLong(v)
                    : types[i].isEnum() ? enumValue(types[i], v) : (Object) Double.parseDouble(v);
        }
        if (!changes.isEmpty()) throw new IllegalArgumentException("unknown recipe fields " + changes.keySet());
        var ctor = BertExperiment.Size.class.getDeclaredConstructor(types);
        ctor.setAccessible(true);
        return (BertExperiment.Size) ctor.newInstance(values);
    }
}
