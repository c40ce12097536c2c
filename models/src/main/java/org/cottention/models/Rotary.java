package org.cottention.models;

import org.cottention.api.Nd;
import org.cottention.kernels.FusedLayers;
import org.cottention.kernels.RawArray;
import org.cottention.kernels.FusedLayers;
import org.cottention.kernels.RawArray;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * GPT-J's rotary position embedding (paper-spec §4 step 2; HF create_sinusoidal_positions + apply_rotary_pos_emb):
 * on the first r = rotaryDim dimensions of every head, interleaved pairs (x_2i, x_2i+1) at position t rotate by
 * theta = t * 10000^(-2i/r):
 * <pre>
 *   (x_2i, x_2i+1) -> (x_2i cos - x_2i+1 sin, x_2i+1 cos + x_2i sin);   dimensions >= r pass through.
 * </pre>
 * Applied to q and k before the attention (so before cosine attention's normalisation, which it commutes with:
 * a rotation keeps the norm). Computed as y = x ⊙ C + (x P) ⊙ S with P the permutation that swaps each pair,
 * C = (cos, cos, ..., 1, 1) and S = (-sin, +sin, ..., 0, 0) per position, in one fused pass over the rows
 * ({@link FusedLayers#rotary}). The backward is the transpose: dx = dy ⊙ C + (dy ⊙ S) P (P = P^T).
 */
public final class Rotary {
    private final int rotaryDim;
    /** C and S for positions [0, cached), (cached, d) each. Outside any workspace. */
    private INDArray cosTable, sinTable;
    private long cached;

    public Rotary(int rotaryDim) {
        if (rotaryDim <= 0 || rotaryDim % 2 != 0) throw new IllegalArgumentException("rotary_dim must be even and > 0, got " + rotaryDim);
        this.rotaryDim = rotaryDim;
    }

    public int rotaryDim() {
        return rotaryDim;
    }

    /** x (N, H, s, d) at positions offset..offset+s-1 -> rotated copy. */
    public INDArray forward(INDArray x, long offset) {
        return apply(x, offset, false);
    }

    /** dy (N, H, s, d) -> dx, the transpose of {@link #forward}. */
    public INDArray backward(INDArray dy, long offset) {
        return apply(dy, offset, true);
    }

    /** One fused pass over the rows ({@link FusedLayers#rotary}). */
    private INDArray apply(INDArray x, long offset, boolean transpose) {
        long s = x.size(2), d = x.size(3);
        if (rotaryDim > d || d % 2 != 0) {
            throw new IllegalArgumentException("rotary needs an even head dim >= rotary_dim " + rotaryDim + ", got " + d);
        }
        ensureTables(offset + s, d, x.dataType());
        INDArray rows = RawArray.contiguous(x).reshape('c', x.size(0) * x.size(1), s, d);
        INDArray out = rows.ulike();
        FusedLayers.rotary(rows, cosTable, sinTable, offset, transpose, out);
        return out.reshape('c', x.shape());
    }

    /** Tables for at least {@code length} positions, computed in double. */
    private void ensureTables(long length, long d, DataType dataType) {
        if (cosTable != null && cached >= length && cosTable.size(1) == d && cosTable.dataType() == dataType) return;
        long size = Math.max(length, Math.max(2 * cached, 64));
        int w = (int) d;
        double[] c = new double[Math.toIntExact(size * w)], sn = new double[c.length];
        for (int t = 0; t < size; t++) {
            for (int j = 0; j < w; j++) {
                if (j >= rotaryDim) {
                    c[t * w + j] = 1.0;
                    continue;
                }
                double theta = t * Math.pow(10000.0, -2.0 * (j / 2) / rotaryDim);
                c[t * w + j] = Math.cos(theta);
                sn[t * w + j] = (j % 2 == 0 ? -1 : 1) * Math.sin(theta);
            }
        }
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            cosTable = Nd.fromDoubles(c, dataType, size, w);
            sinTable = Nd.fromDoubles(sn, dataType, size, w);
        }
        cached = size;
    }
}
