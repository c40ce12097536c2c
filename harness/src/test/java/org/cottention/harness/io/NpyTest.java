package org.cottention.harness.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class NpyTest {
    private static final double[] SIX = {1.5, -2, 3.25, 0, 1e-3, 7};

    @Test
    void readsHandBuiltFilesOfEveryDtype() throws Exception {
        long[] shape = {2, 3};
        for (String descr : new String[] {"<f4", "<f8", ">f4", ">f8"}) {
            Npy.Array a = Npy.parse(NpyBytes.of(descr, shape, SIX));
            assertArrayEquals(shape, a.shape());
            assertArrayEquals(SIX, a.values(), descr.endsWith("4") ? 1e-6 : 0, descr);
        }
        double[] bits = {1, 0, 1, 1, 0, 0};
        for (String descr : new String[] {"|b1", "|u1", "|i1", "<i4", "<i8"}) {
            assertArrayEquals(bits, Npy.parse(NpyBytes.of(descr, shape, bits)).values(), descr);
        }
        assertArrayEquals(SIX, Npy.parse(NpyBytes.of("<f8", shape, SIX, false, 2)).values());
        assertArrayEquals(new long[] {6}, Npy.parse(NpyBytes.of("<f8", new long[] {6}, SIX)).shape());
    }

    @Test
    void writesWhatItReadsAndAlignsTheHeader() throws Exception {
        INDArray x = Nd4j.create(SIX, new long[] {1, 2, 3}, DataType.DOUBLE);
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            byte[] bytes = Npy.encode(x.castTo(dt));
            int headerLen = (bytes[8] & 0xff) | (bytes[9] & 0xff) << 8;
            assertEquals(0, (10 + headerLen) % 64, "header is 64-byte aligned");
            assertEquals('\n', bytes[10 + headerLen - 1]);
            Npy.Array back = Npy.parse(bytes);
            assertEquals(dt == DataType.FLOAT ? "<f4" : "<f8", back.descr());
            assertArrayEquals(new long[] {1, 2, 3}, back.shape());
            assertArrayEquals(SIX, back.values(), 1e-6);
        }
        // Byte-identical to a hand-built file of the same content.
        assertArrayEquals(NpyBytes.of("<f8", new long[] {1, 2, 3}, SIX), Npy.encode(x));
    }

    @Test
    void rejectsMalformedFilesWithAReason() {
        byte[] good = NpyBytes.of("<f4", new long[] {2, 3}, SIX);
        assertMessage("magic", () -> Npy.parse("hello world, not numpy".getBytes()));
        assertMessage("truncated data", () -> Npy.parse(Arrays.copyOf(good, good.length - 3)));
        assertMessage("truncated header", () -> Npy.parse(Arrays.copyOf(good, 40)));
        assertMessage("Fortran", () -> Npy.parse(NpyBytes.of("<f4", new long[] {2, 3}, SIX, true, 1)));
        assertMessage("trailing", () -> Npy.parse(Arrays.copyOf(good, good.length + 4)));
        byte[] complex = NpyBytes.of("<f8", new long[] {3}, new double[3]);
        String text = new String(complex, java.nio.charset.StandardCharsets.ISO_8859_1).replace("<f8", "<c8");
        assertMessage("unsupported dtype", () -> Npy.parse(text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable e) {
        Npy.FormatException ex = assertThrows(Npy.FormatException.class, e);
        assertTrue(ex.getMessage().contains(expected), ex.getMessage());
    }
}
