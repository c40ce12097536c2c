package org.cottention.reference;

/**
 * Gradients of a scalar loss L with respect to the inputs of one attention call.
 *
 * @param dq dL/dq, shape (N, H, s, dk)
 * @param dk dL/dk, shape (N, H, s, dk)
 * @param dv dL/dv, shape (N, H, s, dv)
 * @param dm dL/dm, shape (H): the raw stabiliser parameters before the sigmoid; null for softmax attention
 */
public record Gradients(double[][][][] dq, double[][][][] dk, double[][][][] dv, double[] dm) {}
