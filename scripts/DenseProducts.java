// The dense products of a GPT-J training step at the default ladder's top rung (M = 16 x 256 = 4096 rows, E 128,
// I 512, vocabulary 256), each as ND4J's matmul (org.cottention.api.Nd.mmul, what Linear calls) and as one sgemm
// called directly (RawArray.gemm, what the attention kernels call): forward x W^T, weight gradient dy^T x, input
// gradient dy W. Best of 5 rounds of 20 calls, one thread:
//   OMP_NUM_THREADS=1 java --add-modules jdk.incubator.vector -cp "harness/target/classes:$(cat harness/target/classpath.txt)" scripts/DenseProducts.java
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.cottention.api.Nd;
import org.cottention.kernels.RawArray;

public class DenseProducts {
    interface Op { void run(); }
    static double time(Op op, int reps) {
        for (int i = 0; i < 5; i++) op.run();
        double best = 1e9;
        for (int r = 0; r < 5; r++) {
            long t = System.nanoTime();
            for (int i = 0; i < reps; i++) op.run();
            best = Math.min(best, (System.nanoTime() - t) / 1e6 / reps);
        }
        return best;
    }
    public static void main(String[] a) {
        int M = 4096;
        int[][] shapes = {{128, 128}, {128, 384}, {128, 512}, {512, 128}, {128, 256}};
        for (int[] sh : shapes) {
            int in = sh[0], out = sh[1];
            INDArray x = Nd4j.rand(DataType.FLOAT, M, in), w = Nd4j.rand(DataType.FLOAT, out, in);
            INDArray dy = Nd4j.rand(DataType.FLOAT, M, out), y = Nd4j.create(DataType.FLOAT, M, out);
            INDArray dw = Nd4j.create(DataType.FLOAT, out, in), dx = Nd4j.create(DataType.FLOAT, M, in);
            RawArray rx = RawArray.of(x), rw = RawArray.of(w), rdy = RawArray.of(dy), ry = RawArray.of(y), rdw = RawArray.of(dw), rdx = RawArray.of(dx);
            double flops = 2.0 * M * in * out;
            double n1 = time(() -> Nd.mmul(x, false, w, true, y, 0.0), 20);
            double b1 = time(() -> RawArray.gemm(1, rx.matrix(0, M, in), rw.matrix(0, out, in).t(), 0, ry.matrix(0, M, out)), 20);
            double n2 = time(() -> Nd.mmul(dy, true, x, false, dw, 1.0), 20);
            double b2 = time(() -> RawArray.gemm(1, rdy.matrix(0, M, out).t(), rx.matrix(0, M, in), 1, rdw.matrix(0, out, in)), 20);
            double n3 = time(() -> Nd.mmul(dy, false, w, false, dx, 0.0), 20);
            double b3 = time(() -> RawArray.gemm(1, rdy.matrix(0, M, out), rw.matrix(0, out, in), 0, rdx.matrix(0, M, in)), 20);
            System.out.printf("in %4d out %4d | fwd  Nd %.3f ms (%.1f GF/s) blas %.3f (%.1f) | dW Nd %.3f (%.1f) blas %.3f (%.1f) | dx Nd %.3f (%.1f) blas %.3f (%.1f)%n",
                in, out, n1, flops / n1 / 1e6, b1, flops / b1 / 1e6, n2, flops / n2 / 1e6, b2, flops / b2 / 1e6, n3, flops / n3 / 1e6, b3, flops / b3 / 1e6);
        }
    }
}
