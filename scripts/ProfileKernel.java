// Repeats one attention forward + backward (N 1, H 8, d 64, float32, random inputs, m = 0.5, as AttentionBenchmark)
// for a number of seconds and prints its median time, its GFLOP/s (FlopCounts) and their share of the GEMM probe
// measured in this JVM; scripts/profile-kernel.sh runs it under JDK Flight Recorder.
//   java --add-modules jdk.incubator.vector -cp "harness/target/classes:$(cat harness/target/classpath.txt)" \
//     scripts/ProfileKernel.java [IMPL] [LENGTH] [CHUNK] [SECONDS]
import java.util.Arrays;
import org.cottention.api.Attention;
import org.cottention.api.AttentionInput;
import org.cottention.harness.attention.AttentionRegistry;
import org.cottention.harness.bench.FlopCounts;
import org.cottention.harness.bench.GemmProbe;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

public class ProfileKernel {
    public static void main(String[] a) {
        String impl = a.length > 0 ? a[0] : "cosine-chunked";
        int s = a.length > 1 ? Integer.parseInt(a[1]) : 4096, chunk = a.length > 2 ? Integer.parseInt(a[2]) : 64;
        double seconds = a.length > 3 ? Double.parseDouble(a[3]) : 60;
        int n = 1, h = 8, d = 64;
        Nd4j.getRandom().setSeed(42);
        Attention att = AttentionRegistry.find(impl).orElseThrow(() -> new IllegalArgumentException("unknown impl " + impl))
                .create(true, chunk);
        AttentionInput in = new AttentionInput(Nd4j.randn(DataType.FLOAT, n, h, s, d), Nd4j.randn(DataType.FLOAT, n, h, s, d),
                Nd4j.randn(DataType.FLOAT, n, h, s, d), null, null);
        var g = Nd4j.randn(DataType.FLOAT, n, h, s, d);
        double[] ms = new double[100000];
        int count = 0;
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end && count < ms.length) {
            long t0 = System.nanoTime();
            att.backward(att.forward(in), g);
            ms[count++] = (System.nanoTime() - t0) / 1e6;
        }
        double[] timed = Arrays.copyOfRange(ms, Math.min(count - 1, 5), count);
        Arrays.sort(timed);
        double med = timed[timed.length / 2];
        double gf = FlopCounts.attention(impl, true, true, n, h, s, d, chunk) / (med * 1e6);
        double probe = GemmProbe.gflops(GemmProbe.measureMs());
        System.out.printf("%s s %d chunk %d: %d ops, median %.2f ms (min %.2f), %.1f GFLOP/s = %.3f of the probe (%.1f GFLOP/s)%n",
                impl, s, chunk, count, med, timed[0], gf, gf / probe, probe);
    }
}
