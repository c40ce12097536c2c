package org.cottention.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.cottention.cuda.emulation.BlockOps;
import org.junit.jupiter.api.Test;

/** Pieces of the device layer that run on the GPU path but can be checked without one. */
class DeviceLayerTest {

    @Test
    void sharedMemoryComesFromTheFatbinAndMustAgreeWithTheTwin() {
        assertEquals(79104, JCudaDevice.resolveShared("cosine.fatbin", "k", 79104, 79104));
        assertEquals(79104, JCudaDevice.resolveShared("cosine.fatbin", "k", -1, 79104), "global not readable: the twin's");
        assertEquals(0, JCudaDevice.resolveShared("cosine.fatbin", "k", -1, -1), "sized at launch");
        assertEquals(35328, JCudaDevice.resolveShared("softmax.fatbin", "k", 35328, -1));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> JCudaDevice.resolveShared("cosine.fatbin", "cos_fwd_f32_simt_d64_c64", 79104, 79100));
        assertTrue(e.getMessage().contains("disagree"), e.getMessage());
    }

    @Test
    void bf16AndTf32RoundToNearestEven() {
        assertEquals(1.0f, ElementType.roundToBf16(1.0f));
        assertEquals(1.0f, ElementType.roundToBf16(1.0f + 0x1p-9f), "a tie rounds to even");
        assertEquals(1.0f + 0x1p-7f, ElementType.roundToBf16(1.0f + 0x1p-8f + 0x1p-10f));
        assertTrue(Float.isNaN(ElementType.roundToBf16(Float.NaN)));
        assertEquals(1.0f, BlockOps.tf32(1.0f + 0x1p-12f), "a tie rounds to even");
        assertEquals(1.0f + 0x1p-10f, BlockOps.tf32(1.0f + 0x1p-11f + 0x1p-13f));
        float x = 0.1234567f, hi = BlockOps.tf32(x);
        assertTrue(Math.abs(x - hi - BlockOps.tf32(x - hi)) < Math.abs(x) * 0x1p-21f, "hi + lo carries about 21 bits");
    }

    @Test
    void precisionLabelsParse() {
        for (Precision p : Precision.values()) assertEquals(p, Precision.parse(p.label()));
        assertEquals("f32_tf32x3", Precision.F32_TF32X3.suffix());
        assertThrows(IllegalArgumentException.class, () -> Precision.parse("fp16"));
    }
}
