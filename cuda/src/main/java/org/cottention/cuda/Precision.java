package org.cottention.cuda;

import java.util.Locale;

/**
 * Input type and matrix-product precision of a kernel instance; the suffix ("f32_simt", ...) is part of the
 * kernel's name in the fatbin. All accumulation is in float32 (states in float64 where noted).
 */
public enum Precision {
    /** float32 inputs, products on the CUDA cores in float32. */
    F32_SIMT(ElementType.F32, "simt"),
    /** float32 inputs, products on tensor cores with each operand split in two TF32 parts (about float32 accuracy). */
    F32_TF32X3(ElementType.F32, "tf32x3"),
    /** bfloat16 inputs, products on tensor cores in TF32 (bf16 values are exact in TF32), float32 accumulators. */
    BF16_TF32(ElementType.BF16, "tf32");

    private final ElementType input;
    private final String mma;

    Precision(ElementType input, String mma) {
        this.input = input;
        this.mma = mma;
    }

    public ElementType inputType() {
        return input;
    }

    /** The kernel-name suffix, e.g. "f32_tf32x3". */
    public String suffix() {
        return input.name().toLowerCase(Locale.ROOT) + "_" + mma;
    }

    /** "f32-simt", "f32-tf32x3" or "bf16-tf32": the form used on command lines and in CSV files. */
    public String label() {
        return suffix().replace('_', '-');
    }

    public static Precision parse(String label) {
        for (Precision p : values()) if (p.label().equals(label) || p.name().equalsIgnoreCase(label)) return p;
        throw new IllegalArgumentException("unknown CUDA precision '" + label + "'; known: f32-simt, f32-tf32x3, bf16-tf32");
    }
}
