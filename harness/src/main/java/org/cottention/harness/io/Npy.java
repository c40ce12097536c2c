package org.cottention.harness.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * NumPy .npy files (format versions 1.0, 2.0 and 3.0; C order) read into and written from ND4J arrays.
 * Reads little- and big-endian float32/float64, signed and unsigned integers and bool; writes little-endian
 * float32 or float64 with a version 1.0 header, as numpy.save does.
 */
public final class Npy {
    private Npy() {}

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=])([a-z])(\\d+)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    /** A bad .npy file: the message says what is wrong; callers prefix the file name. */
    public static final class FormatException extends IOException {
        public FormatException(String message) {
            super(message);
        }
    }

    /**
     * One array read from a file.
     *
     * @param descr  the NumPy dtype string, e.g. "<f4"
     * @param shape  the shape (empty for a scalar)
     * @param values the values, row-major, as doubles
     */
    public record Array(String descr, long[] shape, double[] values) {
        /** "float32", "float64", "int64", "bool", ... */
        public String dtypeName() {
            return dtypeName(descr);
        }

        public boolean isFloat() {
            return descr.charAt(1) == 'f';
        }

        /** The values as an ND4J array of the given dtype and this shape. */
        public INDArray toNd(DataType dataType) {
            return Npy.toNd(values, shape, dataType);
        }

        /** The ND4J dtype this file's float type maps to (FLOAT for f4, DOUBLE for f8), or null for others. */
        public DataType floatType() {
            return switch (descr.substring(1)) {
                case "f4" -> DataType.FLOAT;
                case "f8" -> DataType.DOUBLE;
                default -> null;
            };
        }

        static String dtypeName(String descr) {
            char kind = descr.charAt(1);
            int bytes = Integer.parseInt(descr.substring(2));
            return switch (kind) {
                case 'f' -> "float" + bytes * 8;
                case 'i' -> "int" + bytes * 8;
                case 'u' -> "uint" + bytes * 8;
                case 'b' -> "bool";
                default -> descr;
            };
        }
    }

    /**
     * What a file's header says, checked against the file's size: the dtype, the shape, and where the data starts.
     * Reading it touches only the first bytes of the file, so a command can check shapes and memory before it reads
     * (and allocates for) any data.
     *
     * @param descr     the NumPy dtype string, normalised ("<f4", ">i8", "|b1")
     * @param count     the number of values (the product of the shape)
     * @param dataStart the offset of the first value
     */
    public record Header(String descr, long[] shape, long count, long dataStart) {
        public String dtypeName() {
            return Array.dtypeName(descr);
        }

        public boolean isFloat() {
            return descr.charAt(1) == 'f';
        }

        /** FLOAT for f4, DOUBLE for f8, else null. */
        public DataType floatType() {
            return switch (descr.substring(1)) {
                case "f4" -> DataType.FLOAT;
                case "f8" -> DataType.DOUBLE;
                default -> null;
            };
        }

        int width() {
            return Integer.parseInt(descr.substring(2));
        }
    }

    /** Values (row-major) of the given shape as an ND4J array of the given dtype. */
    public static INDArray toNd(double[] values, long[] shape, DataType dataType) {
        long[] s = shape.length == 0 ? new long[] {1} : shape;
        return Nd4j.create(values, s, DataType.DOUBLE).castTo(dataType);
    }

    /** The most bytes a header may have (NumPy writes a few hundred). */
    private static final int MAX_HEADER = 1 << 20;

    /** Reads and checks the header only (see {@link Header}). */
    public static Header header(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new java.io.FileNotFoundException("no such file");
        long size = Files.size(file);
        byte[] start;
        try (var in = Files.newInputStream(file)) {
            start = in.readNBytes((int) Math.min(size, 12 + MAX_HEADER));
        }
        return parseHeader(start, size);
    }

    public static Array read(Path file) throws IOException {
        Header h = header(file);
        if (h.count() > Integer.MAX_VALUE - 8) {
            throw new FormatException("array too large to read here (" + h.count() + " values; at most "
                    + (Integer.MAX_VALUE - 8) + ")");
        }
        return parse(Files.readAllBytes(file));
    }

    static Header parseHeader(byte[] bytes, long fileSize) throws FormatException {
        if (bytes.length < 10 || !Arrays.equals(Arrays.copyOf(bytes, 6), MAGIC)) {
            throw new FormatException("not a .npy file (missing the \\x93NUMPY magic); write it with numpy.save");
        }
        int major = bytes[6];
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen, headerStart;
        if (major == 1) {
            headerLen = Short.toUnsignedInt(buf.getShort(8));
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            if (bytes.length < 12) throw new FormatException("truncated header");
            headerLen = buf.getInt(8);
            headerStart = 12;
        } else {
            throw new FormatException("unsupported .npy format version " + major + "." + bytes[7]);
        }
        if (headerLen < 0 || headerLen > MAX_HEADER) {
            throw new FormatException("header length " + Integer.toUnsignedString(headerLen) + " is not plausible (at most "
                    + MAX_HEADER + " bytes)");
        }
        if (headerStart + headerLen > bytes.length) throw new FormatException("truncated header");
        String header = new String(bytes, headerStart, headerLen,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);

        Matcher d = DESCR.matcher(header);
        if (!d.find()) throw new FormatException("unsupported or missing dtype in header: " + header.trim()
                + " (structured and object arrays are not supported)");
        char order = d.group(1).charAt(0), kind = d.group(2).charAt(0);
        int width;
        try {
            width = Integer.parseInt(d.group(3));
        } catch (NumberFormatException e) {
            throw new FormatException("unsupported dtype '" + d.group(0).replaceAll(".*'(.*)'", "$1") + "'");
        }
        String descr = (order == '>' ? ">" : "<") + kind + width;
        if (kind == 'b' && width == 1) descr = "|b1";
        boolean supported = switch (kind) {
            case 'f' -> width == 4 || width == 8;
            case 'i', 'u' -> width == 1 || width == 2 || width == 4 || width == 8;
            case 'b' -> width == 1;
            default -> false;
        };
        if (!supported) throw new FormatException("unsupported dtype '" + d.group(0).replaceAll(".*'(.*)'", "$1") + "'");

        Matcher f = FORTRAN.matcher(header);
        if (!f.find()) throw new FormatException("header has no fortran_order");
        if (f.group(1).equals("True")) {
            throw new FormatException("Fortran-ordered array; save a C-ordered one (numpy.ascontiguousarray)");
        }
        Matcher s = SHAPE.matcher(header);
        if (!s.find()) throw new FormatException("header has no shape");
        List<Long> dims = new ArrayList<>();
        for (String part : s.group(1).split(",")) {
            if (part.isBlank()) continue;
            try {
                dims.add(Long.parseLong(part.trim()));
            } catch (NumberFormatException e) {
                throw new FormatException("bad shape in header: (" + s.group(1) + "); each dimension must be an "
                        + "integer below 2^63");
            }
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        long count = 1;
        for (long x : shape) {
            if (x < 0) throw new FormatException("negative dimension in shape (" + s.group(1) + ")");
        }
        long expected;
        try {
            for (long x : shape) count = Math.multiplyExact(count, x);
            expected = Math.multiplyExact(count, (long) width);
        } catch (ArithmeticException e) {
            throw new FormatException("shape (" + s.group(1) + ") holds more values than a 64-bit count can "
                    + "(overflow); the header is corrupt");
        }
        long dataStart = headerStart + headerLen, data = fileSize - dataStart;
        if (data < expected) {
            throw new FormatException("truncated data: shape " + Arrays.toString(shape) + " needs " + expected
                    + " bytes, the file has " + Math.max(0, data));
        }
        if (data > expected) {
            throw new FormatException("trailing bytes after the data: shape " + Arrays.toString(shape) + " needs "
                    + expected + " bytes, the file has " + data);
        }
        return new Header(descr, shape, count, dataStart);
    }

    static Array parse(byte[] bytes) throws FormatException {
        Header h = parseHeader(bytes, bytes.length);
        if (h.count() > Integer.MAX_VALUE - 8) throw new FormatException("array too large (" + h.count() + " values)");
        int width = h.width();
        char kind = h.descr().charAt(1);
        ByteBuffer data = ByteBuffer.wrap(bytes, (int) h.dataStart(), (int) (h.count() * width))
                .order(h.descr().charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        double[] values = new double[(int) h.count()];
        for (int i = 0; i < values.length; i++) {
            values[i] = switch (kind) {
                case 'f' -> width == 4 ? data.getFloat() : data.getDouble();
                case 'b' -> data.get() != 0 ? 1 : 0;
                case 'i' -> switch (width) {
                    case 1 -> data.get();
                    case 2 -> data.getShort();
                    case 4 -> data.getInt();
                    default -> (double) data.getLong();
                };
                default -> switch (width) {
                    case 1 -> Byte.toUnsignedInt(data.get());
                    case 2 -> Short.toUnsignedInt(data.getShort());
                    case 4 -> Integer.toUnsignedLong(data.getInt());
                    default -> (double) data.getLong();
                };
            };
        }
        return new Array(h.descr(), h.shape(), values);
    }

    /** The bytes of a .npy file (version 1.0, little-endian, C order) holding x as float32 or float64. */
    public static byte[] encode(INDArray x) {
        DataType dt = x.dataType();
        if (dt != DataType.FLOAT && dt != DataType.DOUBLE) {
            throw new IllegalArgumentException("only FLOAT or DOUBLE arrays are written, got " + dt);
        }
        long[] shape = x.shape();
        StringBuilder dims = new StringBuilder();
        for (long s : shape) dims.append(s).append(", ");
        String shapeText = shape.length == 1 ? "(" + shape[0] + ",)"
                : "(" + (shape.length == 0 ? "" : dims.substring(0, dims.length() - 2)) + ")";
        String dict = "{'descr': '" + (dt == DataType.FLOAT ? "<f4" : "<f8") + "', 'fortran_order': False, 'shape': "
                + shapeText + ", }";
        int unpadded = 10 + dict.length() + 1;
        int total = (unpadded + 63) / 64 * 64;
        String header = dict + " ".repeat(total - unpadded) + "\n";
        int width = dt == DataType.FLOAT ? 4 : 8;
        double[] values = x.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        ByteBuffer out = ByteBuffer.allocate(total + values.length * width).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
        out.put(header.getBytes(StandardCharsets.ISO_8859_1));
        for (double v : values) {
            if (width == 4) out.putFloat((float) v);
            else out.putDouble(v);
        }
        return out.array();
    }
}
