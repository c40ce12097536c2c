package org.cottention.cosine;

import org.cottention.api.AttentionInput;
import org.cottention.api.DecodingState;
import org.cottention.kernels.RawArray;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Causal cosine attention as an RNN for generation (paper §5, paper-spec §6): per (sequence, head) a (dv x dk)
 * state S, updated by S += vh_t kh_t^T and read out by o_t = S qh_t, plus a per-sequence count of real tokens for
 * the divisor. Memory is constant in the number of tokens: N * H * dv * dk values of the state dtype (float64 by
 * default, as the reference's fast_infer) and N counts.
 *
 * <p>A single token is one update and one read-out; several tokens at once (a prompt) go through the chunked
 * form with this state as its initial state. Outputs come back in the dtype of q.
 */
public final class RecurrentCosineState implements DecodingState {
    private final int batch, heads, keyDim, valueDim;
    private final DataType stateType;
    private final ChunkedCausalCosineAttention prefill;
    private INDArray state;   // (N*H, dv, dk)
    private double[] counts;  // (N)
    private long position;

    public RecurrentCosineState(int batch, int heads, int keyDim, int valueDim, DataType stateType,
                                ChunkedCausalCosineAttention prefill) {
        if (stateType != DataType.FLOAT && stateType != DataType.DOUBLE) {
            throw new IllegalArgumentException("state dtype must be FLOAT or DOUBLE, got " + stateType);
        }
        this.batch = batch;
        this.heads = heads;
        this.keyDim = keyDim;
        this.valueDim = valueDim;
        this.stateType = stateType;
        this.prefill = prefill;
        reset();
    }

    /** Starts from a given state (its counts continue the divisor's count), e.g. one returned by a prefill. */
    public void load(CosineState initial) {
        INDArray s = initial.state();
        if (s.size(0) != batch || s.size(1) != heads || s.size(2) != valueDim || s.size(3) != keyDim) {
            throw new IllegalArgumentException("state must be (" + batch + ", " + heads + ", " + valueDim + ", "
                    + keyDim + ")");
        }
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            state = s.castTo(stateType).dup('c').reshape('c', (long) batch * heads, valueDim, keyDim);
        }
        counts = initial.counts();
    }

    /** The current state, (N, H, dv, dk) in the state dtype, and the counts; a copy. */
    public CosineState snapshot() {
        return new CosineState(state.dup('c').reshape('c', batch, heads, valueDim, keyDim), counts);
    }

    @Override
    public INDArray append(INDArray q, INDArray k, INDArray v, INDArray mask, INDArray m) {
        DataType outType = q.dataType();
        AttentionInput in = new AttentionInput(q.castTo(stateType), k.castTo(stateType), v.castTo(stateType),
                mask == null ? null : mask.castTo(stateType), m);
        if (in.batch() != batch || in.heads() != heads || in.keyDim() != keyDim || in.valueDim() != valueDim) {
            throw new IllegalArgumentException("expected q, k (" + batch + ", " + heads + ", L, " + keyDim
                    + ") and v (..., " + valueDim + ")");
        }
        long len = in.length();
        INDArray out;
        if (len == 1) {
            // One token: per head S += vh kh^T (dv x dk), o = S qh, each a single BLAS call on the arrays' memory.
            CosineInputs x = CosineInputs.prepare(in, true, counts);
            int b = batch * heads;
            out = Nd4j.create(stateType, b, 1, valueDim);
            RawArray st = RawArray.of(state), qh = RawArray.of(x.qh), kh = RawArray.of(x.kh), vh = RawArray.of(x.vh);
            RawArray o = RawArray.of(out);
            for (int head = 0; head < b; head++) {
                long sOff = (long) head * valueDim * keyDim;
                RawArray.Matrix sh = st.matrix(sOff, valueDim, keyDim);          // this head's S (dv x dk)
                // S += vh_t kh_t^T (an outer product), then o_t = S qh_t, as the row o_t^T = qh_t^T S^T
                RawArray.gemm(1, vh.matrix((long) head * valueDim, valueDim, 1), kh.matrix((long) head * keyDim, 1, keyDim),
                        1, sh);
                RawArray.gemm(1, qh.matrix((long) head * keyDim, 1, keyDim), sh.t(), 0,
                        o.matrix((long) head * valueDim, 1, valueDim));
            }
            out = out.reshape('c', batch, heads, 1, valueDim);
            double[][] p = in.maskValues();
            for (int n = 0; n < batch; n++) counts[n] += p[n][0];
        } else {
            ChunkedCausalCosineAttention.StatefulForward f = prefill.forward(in, snapshot());
            load(f.finalState());
            out = f.output();
        }
        position += len;
        return out.dataType() == outType ? out : out.castTo(outType);
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public long bytes() {
        return state.length() * state.dataType().width() + counts.length * 8L;
    }

    /** The state outlives any workspace open around append(), so it is allocated outside them. */
    @Override
    public void reset() {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            state = Nd4j.create(stateType, (long) batch * heads, valueDim, keyDim);
        }
        counts = new double[batch];
        position = 0;
    }
}
