package org.cottention.models;

import org.cottention.api.Nd;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Checks and conversions shared by the batch records (plain int[][] / float[][] in, ND4J arrays out). */
public final class BatchArrays {
    private BatchArrays() {}

    /** (N, s): every row of {@code a} has s entries; returns {N, s}. */
    static int[] shape(String what, int[][] a) {
        if (a == null || a.length == 0) throw new IllegalArgumentException(what + ": empty batch");
        int s = a[0].length;
        if (s == 0) throw new IllegalArgumentException(what + ": empty sequence");
        for (int[] row : a) {
            if (row.length != s) throw new IllegalArgumentException(what + ": rows of different lengths " + s + " and " + row.length);
        }
        return new int[] {a.length, s};
    }

    static void sameShape(String what, int[][] a, int n, int s) {
        if (a == null) return;
        if (a.length != n) throw new IllegalArgumentException(what + ": " + a.length + " rows, expected " + n);
        for (int[] row : a) if (row.length != s) throw new IllegalArgumentException(what + ": row of length " + row.length + ", expected " + s);
    }

    static void maskShape(float[][] mask, int n, int s) {
        if (mask == null) return;
        if (mask.length != n) throw new IllegalArgumentException("mask: " + mask.length + " rows, expected " + n);
        for (float[] row : mask) {
            if (row.length != s) throw new IllegalArgumentException("mask: row of length " + row.length + ", expected " + s);
            for (float p : row) if (p != 0f && p != 1f) throw new IllegalArgumentException("mask values must be 0 or 1, got " + p);
        }
    }

    /** Row-major flattening (N*s). */
    public static int[] flatten(int[][] a) {
        int s = a[0].length;
        int[] out = new int[a.length * s];
        for (int i = 0; i < a.length; i++) System.arraycopy(a[i], 0, out, i * s, s);
        return out;
    }

    /** (N, s) in the given dtype, or null when mask is null (every token real). */
    static INDArray mask(float[][] mask, DataType dataType) {
        if (mask == null) return null;
        int n = mask.length, s = mask[0].length;
        double[] flat = new double[n * s];
        for (int i = 0; i < n; i++) for (int t = 0; t < s; t++) flat[i * s + t] = mask[i][t];
        return Nd.fromDoubles(flat, dataType, n, s);
    }

    /** Indices of the entries that are not {@link CrossEntropy#IGNORE}. */
    static int[] labelled(int[] labels) {
        int count = 0;
        for (int y : labels) if (y != CrossEntropy.IGNORE) count++;
        int[] rows = new int[count];
        for (int i = 0, j = 0; i < labels.length; i++) if (labels[i] != CrossEntropy.IGNORE) rows[j++] = i;
        return rows;
    }

    /** Number of ones in the mask (all N*s when null). */
    static long realTokens(float[][] mask, int n, int s) {
        if (mask == null) return (long) n * s;
        long c = 0;
        for (float[] row : mask) for (float p : row) c += (long) p;
        return c;
    }
}
