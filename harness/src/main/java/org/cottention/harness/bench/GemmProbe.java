package org.cottention.harness.bench;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The machine's GEMM speed right now: a float32 1024 x 1024 x 1024 matrix product through ND4J (OpenBLAS, all
 * configured threads), the median of 5 after 2 warm-up runs. Benchmarks divide their times by it, measured in
 * the same JVM at the same moment, so that a slower or busier machine does not read as a regression; their
 * GFLOP/s are reported as a share of it (the "GEMM ceiling").
 */
public final class GemmProbe {
    private GemmProbe() {}

    public static final int SIZE = 1024;
    public static final double FLOPS = 2.0 * SIZE * SIZE * SIZE;

    private static INDArray a, b, c;

    /** One probe product. */
    public static synchronized INDArray multiplyOnce() {
        if (a == null) {
            Nd4j.getRandom().setSeed(1234);
            a = Nd4j.rand(DataType.FLOAT, SIZE, SIZE);
            b = Nd4j.rand(DataType.FLOAT, SIZE, SIZE);
            c = Nd4j.create(DataType.FLOAT, SIZE, SIZE);
        }
        return Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
    }

    /** Median milliseconds of one probe product (5 timed after 2 warm-up). */
    public static double measureMs() {
        double[] ms = new double[7];
        for (int i = 0; i < ms.length; i++) {
            long t0 = System.nanoTime();
            multiplyOnce();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        double[] timed = Arrays.copyOfRange(ms, 2, ms.length);
        Arrays.sort(timed);
        return timed[timed.length / 2];
    }

    public static double gflops(double ms) {
        return FLOPS / (ms * 1e6);
    }
}
