package org.cottention.cuda;

/** Element types of device buffers. */
public enum ElementType {
    F32(4),
    /** bfloat16, stored as the upper 16 bits of a float32; converted from float32 with round-to-nearest-even. */
    BF16(2),
    F64(8);

    private final int bytes;

    ElementType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    /** float32 -> bfloat16 bits, round to nearest even (NaN stays NaN). */
    public static short toBf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        if (Float.isNaN(x)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    public static float fromBf16(short b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }

    /** x rounded to the nearest bfloat16, as a float. */
    public static float roundToBf16(float x) {
        return fromBf16(toBf16(x));
    }
}
