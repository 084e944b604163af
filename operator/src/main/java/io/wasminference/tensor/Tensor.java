package io.wasminference.tensor;

import io.wasminference.abi.DType;
import org.apache.flink.annotation.PublicEvolving;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable tensor: element type, full shape (outer-most first) and raw little-endian row-major bytes, the
 * layout of ABI v1. A batch is a tensor whose first dimension is the batch size.
 */
@PublicEvolving
public final class Tensor implements Serializable {
    private static final long serialVersionUID = 1L;

    private final DType dtype;
    private final int[] shape;
    private final byte[] data;

    /** A part of a valid tensor: valid by construction, not checked again (this runs per record). */
    private Tensor(DType dtype, int[] shape, byte[] data, Void trusted) {
        this.dtype = dtype;
        this.shape = shape;
        this.data = data;
    }

    private Tensor(DType dtype, int[] shape, byte[] data) {
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        this.shape = shape;
        this.data = data;
        long elements = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            elements = Math.multiplyExact(elements, d);
        }
        if (elements * dtype.byteSize() != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " of " + dtype + " needs "
                    + elements * dtype.byteSize() + " bytes, got " + data.length);
        }
    }

    /** Wraps a copy of little-endian {@code bytes}. */
    public static Tensor ofBytes(DType dtype, int[] shape, byte[] bytes) {
        return new Tensor(dtype, shape.clone(), bytes.clone());
    }

    /** Takes ownership of {@code bytes} without copying; the caller must not modify them afterwards. */
    public static Tensor wrap(DType dtype, int[] shape, byte[] bytes) {
        return new Tensor(dtype, shape.clone(), bytes);
    }

    public static Tensor ofFloats(int[] shape, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new Tensor(DType.F32, shape.clone(), b.array());
    }

    public DType dtype() {
        return dtype;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int dim(int i) {
        return shape[i];
    }

    public int rank() {
        return shape.length;
    }

    public long elementCount() {
        return data.length / dtype.byteSize();
    }

    public int byteSize() {
        return data.length;
    }

    /** A read-only little-endian view of the bytes. */
    public ByteBuffer buffer() {
        return ByteBuffer.wrap(data).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Copies the bytes into {@code target} at its position, advancing it (no view or copy in between: batch writers
     * call this per record).
     *
     * @throws java.nio.BufferOverflowException when fewer than {@link #byteSize()} bytes remain in {@code target}
     */
    public void copyTo(ByteBuffer target) {
        target.put(data);
    }

    /** A copy of the bytes. */
    public byte[] toByteArray() {
        return data.clone();
    }

    /** Element {@code i} (flat index) converted to double, whatever the dtype. */
    public double getDouble(long i) {
        return read(ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN), Math.toIntExact(i * dtype.byteSize()));
    }

    /** All elements as doubles (one view for the whole tensor: top-k and JSON encoding call this per record). */
    public double[] toDoubles() {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        double[] out = new double[data.length / dtype.byteSize()];
        if (dtype == DType.F32) { // the common case, without the per-element dtype switch
            for (int i = 0; i < out.length; i++) {
                out[i] = b.getFloat(i * 4);
            }
            return out;
        }
        for (int i = 0; i < out.length; i++) {
            out[i] = read(b, i * dtype.byteSize());
        }
        return out;
    }

    /**
     * All elements of an integer tensor (i8, u8, i32, i64) as exact longs: {@link #toDoubles()} loses digits of an
     * i64 beyond 2^53.
     *
     * @throws IllegalStateException for f32 and f64
     */
    public long[] toLongs() {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        long[] out = new long[data.length / dtype.byteSize()];
        for (int i = 0; i < out.length; i++) {
            int at = i * dtype.byteSize();
            out[i] = switch (dtype) {
                case I64 -> b.getLong(at);
                case I32 -> b.getInt(at);
                case I8 -> data[at];
                case U8 -> data[at] & 0xFF;
                case F32, F64 -> throw new IllegalStateException("tensor is " + dtype + ", not an integer type");
            };
        }
        return out;
    }

    /** Whether the elements are integers (i8, u8, i32, i64). */
    public boolean isInteger() {
        return dtype != DType.F32 && dtype != DType.F64;
    }

    private double read(ByteBuffer b, int at) {
        return switch (dtype) {
            case F32 -> b.getFloat(at);
            case F64 -> b.getDouble(at);
            case I32 -> b.getInt(at);
            case I64 -> b.getLong(at);
            case I8 -> data[at];
            case U8 -> data[at] & 0xFF;
        };
    }

    /** All elements of an f32 tensor. */
    public float[] toFloats() {
        if (dtype != DType.F32) {
            throw new IllegalStateException("tensor is " + dtype + ", not f32");
        }
        float[] out = new float[data.length / 4];
        ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    /** Sample {@code index} along the first (batch) dimension, as a tensor without that dimension. */
    public Tensor sample(int index) {
        if (shape.length < 2) {
            throw new IllegalStateException("a tensor of rank " + shape.length + " has no samples");
        }
        Objects.checkIndex(index, shape[0]);
        int sampleBytes = data.length / shape[0];
        byte[] part = Arrays.copyOfRange(data, index * sampleBytes, (index + 1) * sampleBytes);
        return new Tensor(dtype, Arrays.copyOfRange(shape, 1, shape.length), part, null);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Tensor(" + dtype + " " + Arrays.toString(shape) + ")";
    }
}
