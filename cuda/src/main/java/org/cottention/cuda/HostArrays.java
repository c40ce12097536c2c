package org.cottention.cuda;

/**
 * Conversions between the reference oracle's nested double arrays (N, H, s, d) and the kernels' flat row-major float
 * arrays (N*H*s*d); used by the GPU check and the tests.
 */
public final class HostArrays {
    private HostArrays() {}

    public static float[] flat(double[][][][] a) {
        int n = a.length, h = a[0].length, s = a[0][0].length, d = a[0][0][0].length;
        float[] out = new float[n * h * s * d];
        int i = 0;
        for (double[][][] x : a) for (double[][] y : x) for (double[] z : y) for (double w : z) out[i++] = (float) w;
        return out;
    }

    public static float[] flat(double[][] a) {
        if (a == null) return null;
        float[] out = new float[a.length * a[0].length];
        for (int b = 0; b < a.length; b++) for (int t = 0; t < a[0].length; t++) out[b * a[0].length + t] = (float) a[b][t];
        return out;
    }

    public static float[] flat(double[] a) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) out[i] = (float) a[i];
        return out;
    }

    public static double[][][][] nested(float[] flat, int n, int h, int s, int d) {
        double[][][][] out = new double[n][h][s][d];
        int i = 0;
        for (double[][][] x : out) for (double[][] y : x) for (double[] z : y) for (int e = 0; e < d; e++) z[e] = flat[i++];
        return out;
    }

    /** The values of a rounded to bfloat16 (what a bf16 kernel sees). */
    public static double[][][][] bf16(double[][][][] a) {
        double[][][][] out = new double[a.length][a[0].length][a[0][0].length][];
        for (int n = 0; n < a.length; n++) for (int h = 0; h < a[0].length; h++) for (int t = 0; t < a[0][0].length; t++) {
            out[n][h][t] = new double[a[n][h][t].length];
            for (int e = 0; e < a[n][h][t].length; e++) out[n][h][t][e] = ElementType.roundToBf16((float) a[n][h][t][e]);
        }
        return out;
    }

    /**
     * ||actual - expected|| / max(||expected||, 1) over all entries: relative error, absolute below norm 1, so that
     * an exact 0 (softmax over one key has a zero gradient) stays checkable. actual is a flat (N, H, s, d) array.
     */
    public static double error(double[][][][] expected, float[] actual, int d) {
        double[][][][] got = nested(actual, expected.length, expected[0].length, expected[0][0].length, d);
        double num = 0, den = 0;
        for (int n = 0; n < got.length; n++) for (int h = 0; h < got[n].length; h++)
            for (int t = 0; t < got[n][h].length; t++) for (int e = 0; e < d; e++) {
                double x = got[n][h][t][e], y = expected[n][h][t][e];
                num += (x - y) * (x - y);
                den += y * y;
            }
        return Math.sqrt(num) / Math.max(Math.sqrt(den), 1);
    }
}
