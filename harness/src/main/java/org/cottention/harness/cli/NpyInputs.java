package org.cottention.harness.cli;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.cottention.harness.CliException;
import org.cottention.harness.io.Npy;
import org.nd4j.linalg.api.buffer.DataType;

/** Reading and checking .npy inputs of a command; every problem is a one-line {@link CliException} naming the file. */
final class NpyInputs {
    private NpyInputs() {}

    /** The header of a .npy input (nothing of its data is read). */
    static Npy.Header header(String name) {
        try {
            return Npy.header(Path.of(name));
        } catch (FileNotFoundException e) {
            throw new CliException(name + ": no such file");
        } catch (Npy.FormatException e) {
            throw new CliException(name + ": " + e.getMessage());
        } catch (IOException e) {
            throw new CliException(name + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /** The data of a .npy input; a float input must be finite (NaN or infinity anywhere is refused). */
    static Npy.Array read(String name) {
        Npy.Array a;
        try {
            a = Npy.read(Path.of(name));
        } catch (FileNotFoundException e) {
            throw new CliException(name + ": no such file");
        } catch (Npy.FormatException e) {
            throw new CliException(name + ": " + e.getMessage());
        } catch (IOException e) {
            throw new CliException(name + ": cannot read (" + e.getMessage() + ")");
        }
        if (a.isFloat()) requireFinite(name, a);
        return a;
    }

    static void expectFloat(String name, Npy.Header a, DataType dt) {
        if (a.floatType() != dt) {
            throw new CliException(name + ": expected " + typeName(dt) + " like --q, got " + a.dtypeName());
        }
    }

    static void expect(String name, Npy.Header a, DataType dt, long[] shape, String what) {
        if (!Arrays.equals(a.shape(), shape)) {
            throw new CliException(name + ": expected shape " + what + " = " + shapeText(shape) + ", got "
                    + shapeText(a.shape()));
        }
        expectFloat(name, a, dt);
    }

    private static void requireFinite(String name, Npy.Array a) {
        double[] v = a.values();
        for (int i = 0; i < v.length; i++) {
            if (!Double.isFinite(v[i])) {
                throw new CliException(name + ": contains " + v[i] + " at flat index " + i + " (of shape "
                        + shapeText(a.shape()) + "); inputs must be finite");
            }
        }
    }

    static String typeName(DataType dt) {
        return dt == DataType.FLOAT ? "float32" : "float64";
    }

    static String shapeText(long[] shape) {
        if (shape.length == 1) return "(" + shape[0] + ",)";
        return Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(", ", "(", ")"));
    }

    static String describe(Npy.Header a) {
        return "shape " + shapeText(a.shape()) + " of " + a.dtypeName();
    }
}
