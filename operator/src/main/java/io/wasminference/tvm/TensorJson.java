package io.wasminference.tvm;

import io.wasminference.abi.DType;
import io.wasminference.abi.Shape;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The seed's tensor JSON for one model: {@code {"dtype":"FP32","shape":[1,64],"strides":[64,1],"data":[0,0,128,
 * 63,...]}}, {@code data} the raw little-endian bytes as numbers 0..255 and {@code strides} in elements. Writes
 * the input straight into wasm memory and reads the output back strictly: anything but the declared dtype, shape
 * and byte count is an error, so a module cannot hand over more or other data than its metadata promises.
 * Immutable and thread-safe.
 */
public final class TensorJson {
    private static final byte[][] DECIMAL = new byte[256][];

    static {
        for (int i = 0; i < 256; i++) {
            DECIMAL[i] = Integer.toString(i).getBytes(StandardCharsets.US_ASCII);
        }
    }

    private final byte[] inputPrefix;
    private final int inputBytes;
    private final DType outputDtype;
    private final Shape outputShape;
    private final int outputBytes;

    public TensorJson(TvmMetadata metadata) {
        this.inputBytes = Math.toIntExact(metadata.input().sampleBytes());
        String prefix = "{\"dtype\":\"" + name(metadata.input().dtype()) + "\",\"shape\":"
                + list(metadata.inputJsonShape().dims()) + ",\"strides\":" + list(strides(metadata.inputJsonShape()))
                + ",\"data\":[";
        this.inputPrefix = prefix.getBytes(StandardCharsets.US_ASCII);
        this.outputDtype = metadata.output().dtype();
        this.outputShape = metadata.outputJsonShape();
        this.outputBytes = Math.toIntExact(metadata.output().sampleBytes());
    }

    /** The seed's name of a dtype: {@code FP32}, {@code INT32}, {@code INT8}. */
    public static String name(DType dtype) {
        return switch (dtype) {
            case F32 -> "FP32";
            case I32 -> "INT32";
            case I8 -> "INT8";
            default -> throw new IllegalArgumentException("the seed's tensor JSON has no " + dtype);
        };
    }

    /** Compact row-major strides in elements. */
    static int[] strides(Shape shape) {
        int[] s = new int[shape.rank()];
        int step = 1;
        for (int i = shape.rank() - 1; i >= 0; i--) {
            s[i] = step;
            step *= shape.dim(i);
        }
        return s;
    }

    private static String list(int[] v) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            sb.append(i > 0 ? "," : "").append(v[i]);
        }
        return sb.append(']').toString();
    }

    /** The longest input JSON: every byte written as three digits and a comma. */
    public int maxInputLength() {
        return inputPrefix.length + 4 * inputBytes + 2;
    }

    /**
     * A bound on the output JSON a well-behaved module writes for the declared output: the same layout, generous
     * for whitespace and a {@code null} strides. A module that writes more is still read, if memory holds it.
     */
    public int maxOutputLength() {
        return 256 + 24 * (outputShape.rank() * 2) + 5 * outputBytes;
    }

    /**
     * Writes one sample's input JSON at {@code at} in {@code memory} (absolute puts; the buffer's position is not
     * used) from the {@link #inputBytes} bytes of {@code sample} starting at {@code offset}.
     *
     * @return the JSON's length in bytes
     */
    public int writeInput(ByteBuffer memory, int at, byte[] sample, int offset) {
        int p = at;
        memory.put(p, inputPrefix);
        p += inputPrefix.length;
        for (int i = 0; i < inputBytes; i++) {
            if (i > 0) {
                memory.put(p++, (byte) ',');
            }
            byte[] digits = DECIMAL[sample[offset + i] & 0xFF];
            memory.put(p, digits);
            p += digits.length;
        }
        memory.put(p++, (byte) ']');
        memory.put(p++, (byte) '}');
        return p - at;
    }

    /** Bytes of one input sample. */
    public int inputBytes() {
        return inputBytes;
    }

    /** Bytes of one output sample. */
    public int outputBytes() {
        return outputBytes;
    }

    /**
     * Reads the output JSON the module wrote at {@code [at, at + length)} and copies its data into {@code out} at
     * {@code offset}.
     *
     * @throws IllegalArgumentException saying what is wrong: not JSON, another dtype or shape, a byte count that
     *     does not match the shape, values outside 0..255, non-compact strides
     */
    public void readOutput(ByteBuffer memory, int at, int length, byte[] out, int offset) {
        Reader r = new Reader(memory, at, at + length);
        String dtype = null;
        int[] shape = null;
        int[] strides = null;
        boolean sawStrides = false;
        int dataCount = -1;
        r.expect('{');
        if (!r.eat('}')) {
            do {
                String key = r.string();
                r.expect(':');
                switch (key) {
                    case "dtype" -> dtype = r.string();
                    case "shape" -> shape = r.ints();
                    case "strides" -> {
                        sawStrides = true;
                        strides = r.eatNull() ? null : r.ints();
                    }
                    case "data" -> dataCount = r.bytes(out, offset, outputBytes);
                    default -> throw r.error("unknown field '" + key + "'");
                }
            } while (r.eat(','));
            r.expect('}');
        }
        r.end();
        if (dtype == null || shape == null || dataCount < 0 || !sawStrides) {
            throw new IllegalArgumentException("the output JSON lacks one of dtype, shape, strides, data");
        }
        if (!dtype.equals(name(outputDtype))) {
            throw new IllegalArgumentException("the output is " + dtype + ", the metadata declares "
                    + name(outputDtype) + " (" + outputDtype + ")");
        }
        if (!Arrays.equals(shape, outputShape.dims())) {
            throw new IllegalArgumentException("the output has shape " + Arrays.toString(shape)
                    + ", the metadata declares " + Arrays.toString(outputShape.dims()) + " (output_json_shape)");
        }
        if (strides != null && !Arrays.equals(strides, strides(outputShape))) {
            throw new IllegalArgumentException("the output has strides " + Arrays.toString(strides)
                    + "; only compact row-major strides " + Arrays.toString(strides(outputShape)) + " (or null) "
                    + "are read");
        }
        if (dataCount != outputBytes) {
            throw new IllegalArgumentException("the output's data has " + dataCount + " bytes, but its shape "
                    + Arrays.toString(shape) + " of " + name(outputDtype) + " needs " + outputBytes);
        }
    }

    /** A strict reader of the JSON subset the seed writes (serde_json's compact output, whitespace allowed). */
    private static final class Reader {
        private final ByteBuffer b;
        private final int end;
        private int pos;

        Reader(ByteBuffer b, int start, int end) {
            this.b = b;
            this.pos = start;
            this.end = end;
        }

        IllegalArgumentException error(String what) {
            return new IllegalArgumentException("the output is not the seed's tensor JSON: " + what
                    + " at byte " + pos + " of the region");
        }

        private void ws() {
            while (pos < end) {
                byte c = b.get(pos);
                if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                    return;
                }
                pos++;
            }
        }

        boolean eat(char c) {
            ws();
            if (pos < end && b.get(pos) == c) {
                pos++;
                return true;
            }
            return false;
        }

        void expect(char c) {
            if (!eat(c)) {
                throw error(pos < end ? "expected '" + c + "', found '" + (char) (b.get(pos) & 0xFF) + "'"
                        : "expected '" + c + "', found the end of the returned length");
            }
        }

        boolean eatNull() {
            ws();
            if (end - pos >= 4 && b.get(pos) == 'n' && b.get(pos + 1) == 'u' && b.get(pos + 2) == 'l'
                    && b.get(pos + 3) == 'l') {
                pos += 4;
                return true;
            }
            return false;
        }

        String string() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (pos < end && b.get(pos) != '"') {
                byte c = b.get(pos++);
                if (c == '\\' || (c & 0xFF) < 0x20 || (c & 0x80) != 0 || sb.length() > 64) {
                    throw error("unexpected character in a string");
                }
                sb.append((char) c);
            }
            expect('"');
            return sb.toString();
        }

        long number() {
            ws();
            boolean neg = pos < end && b.get(pos) == '-';
            if (neg) {
                pos++;
            }
            int start = pos;
            long v = 0;
            while (pos < end && b.get(pos) >= '0' && b.get(pos) <= '9') {
                v = v * 10 + (b.get(pos++) - '0');
                if (v > Integer.MAX_VALUE) {
                    throw error("number too large");
                }
            }
            if (pos == start) {
                throw error("expected an integer");
            }
            return neg ? -v : v;
        }

        int[] ints() {
            expect('[');
            List<Integer> v = new ArrayList<>();
            if (!eat(']')) {
                do {
                    if (v.size() >= Shape.MAX_RANK) {
                        throw error("more than " + Shape.MAX_RANK + " dimensions");
                    }
                    v.add((int) number());
                } while (eat(','));
                expect(']');
            }
            return v.stream().mapToInt(Integer::intValue).toArray();
        }

        /** Reads a list of byte values into {@code out}, at most {@code max}; returns how many there were. */
        int bytes(byte[] out, int offset, int max) {
            expect('[');
            int n = 0;
            if (!eat(']')) {
                do {
                    long v = number();
                    if (v < 0 || v > 255) {
                        throw error("data value " + v + " is not a byte 0..255");
                    }
                    if (n < max) {
                        out[offset + n] = (byte) v;
                    }
                    n++;
                } while (eat(','));
                expect(']');
            }
            return n;
        }

        void end() {
            ws();
            if (pos != end) {
                throw error("more bytes after the JSON object than the returned length");
            }
        }
    }
}
