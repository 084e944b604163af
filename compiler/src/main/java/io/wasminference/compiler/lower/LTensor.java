package io.wasminference.compiler.lower;

import io.wasminference.compiler.graph.Shapes;

import java.util.Arrays;

/**
 * A lowered tensor: the buffer holding it, its logical (ONNX) shape and its physical layout, a permutation:
 * physical axis i holds logical axis {@code perm[i]}. Identity is ONNX's row-major layout; channels-last
 * ({@code [0, 2, 3, 1]} for NCHW) is what the convolution kernels use.
 */
record LTensor(Buffer buffer, int[] shape, int[] perm) {

    static int[] identity(int rank) {
        int[] p = new int[rank];
        for (int i = 0; i < rank; i++) {
            p[i] = i;
        }
        return p;
    }

    /** N, C, spatial... stored as N, spatial..., C. */
    static int[] channelsLast(int rank) {
        int[] p = new int[rank];
        p[0] = 0;
        for (int i = 1; i < rank - 1; i++) {
            p[i] = i + 1;
        }
        p[rank - 1] = 1;
        return p;
    }

    int rank() {
        return shape.length;
    }

    long size() {
        return Shapes.size(shape);
    }

    int[] physicalDims() {
        int[] d = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            d[i] = shape[perm[i]];
        }
        return d;
    }

    /** Element stride of each logical axis in the buffer. */
    long[] logicalStrides() {
        long[] ps = Shapes.strides(physicalDims());
        long[] s = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            s[perm[i]] = ps[i];
        }
        return s;
    }

    boolean isIdentity() {
        return sameMemoryOrder(perm, identity(shape.length), shape);
    }

    boolean hasLayout(int[] other) {
        return sameMemoryOrder(perm, other, shape);
    }

    /** Whether two layouts store a tensor of this shape identically: the non-unit axes come in the same order. */
    static boolean sameMemoryOrder(int[] a, int[] b, int[] shape) {
        int[] x = Arrays.stream(a).filter(ax -> shape[ax] != 1).toArray();
        int[] y = Arrays.stream(b).filter(ax -> shape[ax] != 1).toArray();
        return Arrays.equals(x, y);
    }
}
