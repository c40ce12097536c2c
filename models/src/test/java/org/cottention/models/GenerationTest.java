package org.cottention.models;

import org.cottention.kernels.OneThread;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.cottention.api.AttentionKind;
import org.cottention.api.Nd;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Generation through decoding states gives the logits of the full forward pass: a prompt fed as one chunk, then
 * one token at a time (cosine: recurrent state in float64; softmax: KV cache). Cosine's state stays the same size.
 */
@ExtendWith(OneThread.class)
class GenerationTest {

    @ParameterizedTest
    @EnumSource(AttentionKind.class)
    void decodingMatchesTheFullForward(AttentionKind kind) {
        ModelConfig c = ModelConfig.gptj(30, 16, 2, 2, 32, 4, 32).withInitRange(0.3).withDataType(DataType.DOUBLE);
        GptJ model = new GptJ(c, TinyModels.attention(kind, true), 11);
        int[][] ids = {{3, 7, 1, 9, 4, 4, 12, 0, 5, 8}, {2, 2, 8, 19, 1, 6, 7, 3, 3, 29}};
        INDArray full = model.logits(ids, null).reshape('c', 2, 10, 30);

        GptJ.Decoder dec = model.decoder(2);
        int prompt = 4;
        int[][] first = {java.util.Arrays.copyOf(ids[0], prompt), java.util.Arrays.copyOf(ids[1], prompt)};
        INDArray got = dec.feed(first, null).reshape('c', 2, prompt, 30);
        assertClose(full.get(NDArrayIndex.all(), NDArrayIndex.interval(0, prompt), NDArrayIndex.all()), got);
        long bytesAfterPrompt = dec.stateBytes();
        for (int t = prompt; t < 10; t++) {
            INDArray step = dec.feed(new int[][] {{ids[0][t]}, {ids[1][t]}}, null).reshape('c', 2, 1, 30);
            assertClose(full.get(NDArrayIndex.all(), NDArrayIndex.interval(t, t + 1), NDArrayIndex.all()), step);
        }
        assertEquals(10, dec.position());
        if (kind == AttentionKind.COSINE) assertEquals(bytesAfterPrompt, dec.stateBytes(), "cosine decoding memory is constant");
        else assertTrue(dec.stateBytes() > 0);
    }

    private static void assertClose(INDArray expected, INDArray actual) {
        double[] e = Nd.toDoubles(expected), a = Nd.toDoubles(actual);
        for (int i = 0; i < e.length; i++) assertEquals(e[i], a[i], 1e-10);
    }
}
