package io.wasminference.compiler.ops;

import io.wasminference.compiler.graph.ConstTensor;
import io.wasminference.compiler.graph.ElemType;
import io.wasminference.compiler.graph.Shapes;

import java.util.List;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.LongBinaryOperator;

/** Compile-time evaluation on constants: elementwise maths with broadcasting, and data movement. */
public final class ConstMath {
    private ConstMath() {}

    /** Broadcasting binary op; float types compute in float32 (double for DOUBLE), integers exactly. */
    public static ConstTensor binary(ConstTensor a, ConstTensor b, DoubleBinaryOperator f, LongBinaryOperator l) {
        int[] out = Shapes.broadcast(a.shape(), b.shape());
        int n = (int) Shapes.size(out);
        int[] ai = broadcastIndex(a.shape(), out);
        int[] bi = broadcastIndex(b.shape(), out);
        ElemType type = a.type();
        if (type == ElemType.FLOAT16 || type == ElemType.BFLOAT16 || b.type() != type) {
            return null; // results would need half-precision rounding; left to fail at lowering
        }
        if (type == ElemType.FLOAT) {
            float[] r = new float[n];
            for (int i = 0; i < n; i++) {
                r[i] = (float) f.applyAsDouble(a.floatAt(ai[i]), b.floatAt(bi[i]));
            }
            return ConstTensor.ofFloats(out, r);
        }
        if (type == ElemType.DOUBLE) {
            double[] r = new double[n];
            for (int i = 0; i < n; i++) {
                r[i] = f.applyAsDouble(a.doubleAt(ai[i]), b.doubleAt(bi[i]));
            }
            return ConstTensor.ofDoubles(out, r);
        }
        if (l == null) {
            return null;
        }
        long[] r = new long[n];
        for (int i = 0; i < n; i++) {
            r[i] = l.applyAsLong(a.longAt(ai[i]), b.longAt(bi[i]));
        }
        return ConstTensor.ofLongs(type, out, r).cast(type);
    }

    /** Unary op on a float constant, in float32 (double for DOUBLE); null for integer types. */
    public static ConstTensor unary(ConstTensor a, DoubleUnaryOperator f) {
        int n = a.size();
        if (a.type() == ElemType.FLOAT) {
            float[] r = new float[n];
            for (int i = 0; i < n; i++) {
                r[i] = (float) f.applyAsDouble(a.floatAt(i));
            }
            return ConstTensor.ofFloats(a.shape(), r);
        }
        if (a.type() == ElemType.DOUBLE) {
            double[] r = new double[n];
            for (int i = 0; i < n; i++) {
                r[i] = f.applyAsDouble(a.doubleAt(i));
            }
            return ConstTensor.ofDoubles(a.shape(), r);
        }
        return null;
    }

    /** For each element of {@code out}, the index of the element of a tensor of {@code shape} it reads. */
    public static int[] broadcastIndex(int[] shape, int[] out) {
        int n = (int) Shapes.size(out);
        int rank = out.length;
        long[] srcStrides = new long[rank];
        long[] own = Shapes.strides(shape);
        for (int i = 0; i < shape.length; i++) {
            int d = rank - shape.length + i;
            srcStrides[d] = shape[i] == 1 ? 0 : own[i];
        }
        int[] idx = new int[n];
        int[] pos = new int[rank];
        for (int e = 0; e < n; e++) {
            long s = 0;
            for (int d = 0; d < rank; d++) {
                s += pos[d] * srcStrides[d];
            }
            idx[e] = (int) s;
            for (int d = rank - 1; d >= 0; d--) {
                if (++pos[d] < out[d]) {
                    break;
                }
                pos[d] = 0;
            }
        }
        return idx;
    }

    /** Gathers elements of {@code t} by flat index into a tensor of shape {@code shape}. */
    public static ConstTensor take(ConstTensor t, int[] shape, int[] index) {
        int n = index.length;
        if (t.type() == ElemType.FLOAT) {
            float[] r = new float[n];
            for (int i = 0; i < n; i++) {
                r[i] = t.floatAt(index[i]);
            }
            return ConstTensor.ofFloats(shape, r);
        }
        if (t.type() == ElemType.DOUBLE) {
            double[] r = new double[n];
            for (int i = 0; i < n; i++) {
                r[i] = t.doubleAt(index[i]);
            }
            return ConstTensor.ofDoubles(shape, r);
        }
        long[] r = new long[n];
        for (int i = 0; i < n; i++) {
            r[i] = t.longAt(index[i]);
        }
        return ConstTensor.ofLongs(t.type(), shape, r);
    }

    /** Flat source indexes of a transpose: output dim i is input dim perm[i]. */
    public static int[] transposeIndex(int[] shape, int[] perm) {
        int rank = shape.length;
        int[] out = new int[rank];
        long[] in = Shapes.strides(shape);
        long[] st = new long[rank];
        for (int i = 0; i < rank; i++) {
            out[i] = shape[perm[i]];
            st[i] = in[perm[i]];
        }
        return strided(out, 0, st);
    }

    /** Flat indexes of a strided walk: start + sum(pos[d] * strides[d]) over the dims of {@code dims}. */
    public static int[] strided(int[] dims, long start, long[] strides) {
        int n = (int) Shapes.size(dims);
        int[] idx = new int[n];
        int[] pos = new int[dims.length];
        for (int e = 0; e < n; e++) {
            long s = start;
            for (int d = 0; d < dims.length; d++) {
                s += pos[d] * strides[d];
            }
            idx[e] = (int) s;
            for (int d = dims.length - 1; d >= 0; d--) {
                if (++pos[d] < dims[d]) {
                    break;
                }
                pos[d] = 0;
            }
        }
        return idx;
    }

    /** Concatenation along {@code axis}. */
    public static ConstTensor concat(List<ConstTensor> parts, int axis, int[] outShape) {
        ConstTensor first = parts.get(0);
        int outer = 1;
        for (int i = 0; i < axis; i++) {
            outer *= outShape[i];
        }
        int total = (int) Shapes.size(outShape);
        int[] srcPart = new int[total];
        int[] srcIndex = new int[total];
        int o = 0;
        for (int r = 0; r < outer; r++) {
            for (int p = 0; p < parts.size(); p++) {
                ConstTensor t = parts.get(p);
                int block = (int) (t.size() / outer);
                for (int k = 0; k < block; k++) {
                    srcPart[o] = p;
                    srcIndex[o] = r * block + k;
                    o++;
                }
            }
        }
        if (first.type() == ElemType.FLOAT) {
            float[] f = new float[total];
            for (int i = 0; i < total; i++) {
                f[i] = parts.get(srcPart[i]).floatAt(srcIndex[i]);
            }
            return ConstTensor.ofFloats(outShape, f);
        }
        if (first.type() == ElemType.DOUBLE) {
            double[] d = new double[total];
            for (int i = 0; i < total; i++) {
                d[i] = parts.get(srcPart[i]).doubleAt(srcIndex[i]);
            }
            return ConstTensor.ofDoubles(outShape, d);
        }
        long[] l = new long[total];
        for (int i = 0; i < total; i++) {
            l[i] = parts.get(srcPart[i]).longAt(srcIndex[i]);
        }
        return ConstTensor.ofLongs(first.type(), outShape, l);
    }
}
