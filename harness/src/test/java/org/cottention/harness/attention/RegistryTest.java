package org.cottention.harness.attention;

import static org.cottention.api.AttentionCases.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.cottention.api.Attention;
import org.cottention.api.AttentionCases.Case;
import org.cottention.api.AttentionCases.Shape;
import org.cottention.api.AttentionGradients;
import org.cottention.api.AttentionKind;
import org.cottention.api.Nd;
import org.cottention.api.StabilisedAttention;
import org.cottention.cuda.CudaRuntime;
import org.cottention.reference.Gradients;
import org.cottention.reference.RandomTensors;
import org.cottention.reference.ReferenceCosineAttention;
import org.cottention.reference.ReferenceSoftmaxAttention;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A smoke test of the registry (the op tests live beside each op, in the cosine and softmax modules): every entry
 * builds in each mode it claims, declares the capabilities of its kind, and gives the reference's output and
 * gradients on one padded shape. GPU entries are reported as skipped without a GPU.
 */
class RegistryTest {
    static Stream<Arguments> entries() {
        List<Arguments> out = new ArrayList<>();
        for (AttentionRegistry.Entry e : AttentionRegistry.all()) {
            for (boolean causal : new boolean[] {false, true}) if (e.supports(causal)) out.add(Arguments.of(e.name(), causal));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} causal={1}")
    @MethodSource("entries")
    void entryRunsAndMatchesTheReference(String name, boolean causal) {
        AttentionRegistry.Entry entry = AttentionRegistry.find(name).orElseThrow();
        assumeTrue(!entry.gpu() || CudaRuntime.available(), () -> name + ": no CUDA device/driver ("
                + CudaRuntime.unavailableReason() + ")");
        Attention attention = entry.create(causal, 4);
        assertEquals(name, attention.name());
        assertEquals(entry.kind(), attention.kind());
        assertEquals(causal, attention.causal());
        boolean cosine = entry.kind() == AttentionKind.COSINE;
        assertEquals(cosine, attention instanceof StabilisedAttention, "cosine attentions, and only they, take m");

        Shape sh = new Shape(2, 2, 11, 6, 5, 4, "right");
        Case c = Case.of(sh, causal);
        Attention.Forward f = attention.forward(c.input(DataType.FLOAT));
        AttentionGradients g = attention.backward(f, c.gradient(DataType.FLOAT, 0, sh.s()));
        double[][][][] expected = cosine ? ReferenceCosineAttention.forward(causal, c.q(), c.k(), c.v(), c.mask(), c.m())
                : ReferenceSoftmaxAttention.forward(causal, c.q(), c.k(), c.v(), c.mask());
        Gradients eg = cosine ? ReferenceCosineAttention.backward(causal, c.q(), c.k(), c.v(), c.mask(), c.m(), c.g())
                : ReferenceSoftmaxAttention.backward(causal, c.q(), c.k(), c.v(), c.mask(), c.g());
        assertClose("output", expected, f.output(), 1e-5);
        assertClose("dq", eg.dq(), g.dq(), 1e-5);
        assertClose("dk", eg.dk(), g.dk(), 1e-5);
        assertClose("dv", eg.dv(), g.dv(), 1e-5);
        if (cosine) assertTrue(RandomTensors.relativeError(Nd.toDoubles(g.dm()), eg.dm()) < 1e-5, "dm");
        else assertNull(g.dm());
    }
}
