package io.wasminference.compiler.graph;

import java.util.Arrays;

/**
 * A tensor known at compile time: a weight, a Constant node's value or a folded result. Immutable. Float tensors
 * keep float32 values, double tensors doubles, every integer and bool type exact 64-bit integers.
 */
public final class ConstTensor {
    private final ElemType type;
    private final int[] shape;
    private final float[] floats;
    private final double[] doubles;
    private final long[] longs;

    private ConstTensor(ElemType type, int[] shape, float[] floats, double[] doubles, long[] longs) {
        this.type = type;
        this.shape = shape.clone();
        this.floats = floats;
        this.doubles = doubles;
        this.longs = longs;
        long n = Shapes.size(shape);
        if (length() != n) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n + " values, got "
                    + length());
        }
    }

    public static ConstTensor ofFloats(int[] shape, float[] values) {
        return new ConstTensor(ElemType.FLOAT, shape, values.clone(), null, null);
    }

    /** A FLOAT16 or BFLOAT16 tensor, its values widened to float (the type is kept, so casts see it). */
    public static ConstTensor ofHalfs(ElemType type, int[] shape, float[] values) {
        if (type != ElemType.FLOAT16 && type != ElemType.BFLOAT16) {
            throw new IllegalArgumentException(type + " is not a half-precision type");
        }
        return new ConstTensor(type, shape, values.clone(), null, null);
    }

    public static ConstTensor ofDoubles(int[] shape, double[] values) {
        return new ConstTensor(ElemType.DOUBLE, shape, null, values.clone(), null);
    }

    /** An integer or bool tensor; values must already be in the type's range. */
    public static ConstTensor ofLongs(ElemType type, int[] shape, long[] values) {
        if (type == ElemType.FLOAT || type == ElemType.DOUBLE) {
            throw new IllegalArgumentException(type + " is not an integer type");
        }
        return new ConstTensor(type, shape, null, null, values.clone());
    }

    public static ConstTensor scalarLong(long v) {
        return ofLongs(ElemType.INT64, new int[0], new long[] {v});
    }

    public static ConstTensor vector(long... values) {
        return ofLongs(ElemType.INT64, new int[] {values.length}, values);
    }

    public ElemType type() {
        return type;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int size() {
        return length();
    }

    private int length() {
        return floats != null ? floats.length : doubles != null ? doubles.length : longs.length;
    }

    public boolean isFloatType() {
        return longs == null;
    }

    public double doubleAt(int i) {
        return floats != null ? floats[i] : doubles != null ? doubles[i] : (double) longs[i];
    }

    public float floatAt(int i) {
        return floats != null ? floats[i] : (float) doubleAt(i);
    }

    /** The value as an exact integer; a float value must be integral. */
    public long longAt(int i) {
        if (longs != null) {
            return longs[i];
        }
        double d = doubleAt(i);
        if (d != Math.rint(d)) {
            throw new IllegalArgumentException("value " + d + " is not an integer");
        }
        return (long) d;
    }

    public float[] floats() {
        if (floats != null) {
            return floats.clone();
        }
        float[] out = new float[length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = floatAt(i);
        }
        return out;
    }

    public long[] longs() {
        if (longs != null) {
            return longs.clone();
        }
        long[] out = new long[length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = longAt(i);
        }
        return out;
    }

    public double[] doubles() {
        double[] out = new double[length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = doubleAt(i);
        }
        return out;
    }

    /** The same values with another shape of the same size. */
    public ConstTensor reshape(int[] newShape) {
        return new ConstTensor(type, newShape, floats, doubles, longs);
    }

    /** The values converted as ONNX Cast does (floats to integers truncate toward zero). */
    public ConstTensor cast(ElemType to) {
        if (to == type) {
            return this;
        }
        int n = length();
        switch (to) {
            case FLOAT -> {
                float[] f = new float[n];
                for (int i = 0; i < n; i++) {
                    f[i] = longs != null ? (float) longs[i] : floatAt(i);
                }
                return ofFloats(shape, f);
            }
            case DOUBLE -> {
                double[] d = new double[n];
                for (int i = 0; i < n; i++) {
                    d[i] = doubleAt(i);
                }
                return ofDoubles(shape, d);
            }
            case BOOL -> {
                long[] l = new long[n];
                for (int i = 0; i < n; i++) {
                    l[i] = doubleAt(i) != 0 ? 1 : 0;
                }
                return ofLongs(to, shape, l);
            }
            case INT64, INT32, INT16, INT8, UINT8, UINT16, UINT32, UINT64 -> {
                long[] l = new long[n];
                for (int i = 0; i < n; i++) {
                    long v = longs != null ? longs[i] : (long) doubleAt(i);
                    l[i] = wrap(v, to);
                }
                return ofLongs(to, shape, l);
            }
            default -> throw new IllegalArgumentException("cannot cast constants to " + to);
        }
    }

    private static long wrap(long v, ElemType to) {
        return switch (to) {
            case INT32 -> (int) v;
            case INT16 -> (short) v;
            case INT8 -> (byte) v;
            case UINT8 -> v & 0xFF;
            case UINT16 -> v & 0xFFFF;
            case UINT32 -> v & 0xFFFFFFFFL;
            default -> v;
        };
    }

    @Override
    public String toString() {
        String values = length() <= 8
                ? (floats != null ? Arrays.toString(floats) : doubles != null ? Arrays.toString(doubles)
                        : Arrays.toString(longs))
                : "...";
        return type + Arrays.toString(shape) + " " + values;
    }
}
