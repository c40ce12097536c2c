package org.cottention.harness.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.cottention.api.AttentionInput;
import org.cottention.api.DecodingState;
import org.cottention.api.Nd;
import org.cottention.cosine.BidirectionalCosineAttention;
import org.cottention.cosine.ChunkedCausalCosineAttention;
import org.cottention.cosine.CosineState;
import org.cottention.cosine.RecurrentCosineState;
import org.cottention.reference.RandomTensors;
import org.cottention.reference.ReferenceCosineAttention;
import org.cottention.reference.ReferenceRecurrentCosine;
import org.cottention.reference.ReferenceSoftmaxAttention;
import org.cottention.softmax.SoftmaxAttention;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Generation paths: the recurrent cosine state and the softmax KV cache, fed in uneven pieces (a prompt, then
 * single tokens, then a few), equal the reference causal forms; the cosine state's size does not grow.
 */
class DecodingStateTest {
    private static final int N = 2, H = 3, S = 29, DK = 6, DV = 5;
    private static final int[] PIECES = {11, 1, 1, 1, 7, 1, 7};

    private final Random rng = new Random(41);
    private final double[][][][] q = RandomTensors.normal(rng, N, H, S, DK);
    private final double[][][][] k = RandomTensors.normal(rng, N, H, S, DK);
    private final double[][][][] v = RandomTensors.normal(rng, N, H, S, DV);
    private final double[][] mask = RandomTensors.arbitrary(rng, N, S);
    private final double[] m = RandomTensors.stabilizer(rng, H);

    @Test
    void recurrentCosineEqualsCausalReferenceAndKeepsConstantSize() {
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            DecodingState state = new ChunkedCausalCosineAttention(4).newDecodingState(N, H, DK, DV, dt);
            long bytes = state.bytes();
            double[][][][] got = feed(state, dt);
            assertEquals(bytes, state.bytes(), "state size must not depend on the position");
            assertEquals(S, state.position());
            double[][][][] expected = ReferenceCosineAttention.forward(true, q, k, v, mask, m);
            double err = RandomTensors.relativeError(got, expected);
            assertTrue(err < (dt == DataType.FLOAT ? 1e-5 : 1e-12), dt + " relative error " + err);
        }
    }

    @Test
    void finalStateAndCountsMatchTheReferenceRecurrence() {
        ReferenceRecurrentCosine ref = new ReferenceRecurrentCosine(N, H, DK, DV, m);
        ref.append(q, k, v, mask);
        ChunkedCausalCosineAttention chunked = new ChunkedCausalCosineAttention(8);
        AttentionInput in = input(0, S, DataType.DOUBLE);
        ChunkedCausalCosineAttention.StatefulForward f = chunked.forward(in, (CosineState) null);
        CosineState fin = f.finalState();
        assertArrayEquals(ref.count(), fin.counts(), 0.0);
        assertTrue(RandomTensors.relativeError(Nd.toArray4(fin.state()), ref.state()) < 1e-12);

        // Split in two with the state handed over: same outputs as one pass.
        ChunkedCausalCosineAttention.StatefulForward first = chunked.forward(input(0, 13, DataType.DOUBLE), null);
        ChunkedCausalCosineAttention.StatefulForward second = chunked.forward(input(13, S - 13, DataType.DOUBLE),
                first.finalState());
        double[][][][] whole = Nd.toArray4(f.output());
        double[][][][] tail = Nd.toArray4(second.output());
        for (int b = 0; b < N; b++) for (int h = 0; h < H; h++) for (int t = 13; t < S; t++) {
            assertArrayEquals(whole[b][h][t], tail[b][h][t - 13], 1e-12);
        }
    }

    @Test
    void resetStartsOver() {
        RecurrentCosineState state = new RecurrentCosineState(N, H, DK, DV, DataType.DOUBLE,
                new ChunkedCausalCosineAttention(4));
        feed(state, DataType.DOUBLE);
        state.reset();
        assertEquals(0, state.position());
        double[][][][] again = feed(state, DataType.DOUBLE);
        assertTrue(RandomTensors.relativeError(again, ReferenceCosineAttention.forward(true, q, k, v, mask, m)) < 1e-12);
    }

    @Test
    void softmaxKvCacheEqualsCausalReferenceAndGrows() {
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            DecodingState cache = new SoftmaxAttention(true).newDecodingState(N, H, DK, DV, dt);
            long before = cache.bytes();
            double[][][][] got = feed(cache, dt);
            assertTrue(cache.bytes() > before, "a KV cache grows with the position");
            double[][][][] expected = ReferenceSoftmaxAttention.forward(true, q, k, v, mask);
            double err = RandomTensors.relativeError(got, expected);
            assertTrue(err < (dt == DataType.FLOAT ? 1e-5 : 1e-12), dt + " relative error " + err);
        }
    }

    @Test
    void bidirectionalAttentionHasNoDecodingState() {
        assertThrows(UnsupportedOperationException.class,
                () -> new BidirectionalCosineAttention().newDecodingState(1, 1, 2, 2, DataType.FLOAT));
        assertThrows(UnsupportedOperationException.class,
                () -> new SoftmaxAttention(false).newDecodingState(1, 1, 2, 2, DataType.FLOAT));
    }

    /** Feeds all S tokens in PIECES and returns the concatenated outputs. */
    private double[][][][] feed(DecodingState state, DataType dt) {
        double[][][][] out = new double[N][H][S][];
        int start = 0;
        for (int len : PIECES) {
            AttentionInput in = input(start, len, dt);
            INDArray o = state.append(in.q(), in.k(), in.v(), in.mask(), in.m());
            assertEquals(dt, o.dataType());
            double[][][][] piece = Nd.toArray4(o);
            for (int b = 0; b < N; b++) for (int h = 0; h < H; h++)
                for (int t = 0; t < len; t++) out[b][h][start + t] = piece[b][h][t];
            start += len;
        }
        assertEquals(S, start);
        return out;
    }

    private AttentionInput input(int start, int len, DataType dt) {
        var range = NDArrayIndex.interval(start, start + len);
        var all = NDArrayIndex.all();
        return new AttentionInput(
                Nd.fromArray4(q, dt).get(all, all, range, all).dup('c'),
                Nd.fromArray4(k, dt).get(all, all, range, all).dup('c'),
                Nd.fromArray4(v, dt).get(all, all, range, all).dup('c'),
                Nd.fromArray2(mask, dt).get(all, range).dup('c'),
                Nd.fromDoubles(m, dt, H));
    }
}
