package io.wasminference.abi;

import org.apache.flink.annotation.PublicEvolving;

import java.io.Serializable;
import java.util.Arrays;

/** An immutable tensor shape: the dimensions of one sample, outer-most first (the batch dimension excluded). */
@PublicEvolving
public final class Shape implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Largest single dimension ABI v1 accepts. */
    public static final int MAX_DIM = 1 << 24;
    /**
     * Most dimensions of one sample ABI v1 accepts; the same cap holds in the binary record format and in the
     * checkpointed record serializers (which store the rank in a byte).
     */
    public static final int MAX_RANK = 8;
    /** Most elements of one sample. */
    public static final long MAX_ELEMENTS = 1L << 40;

    private final int[] dims;
    private final long elementCount;

    private Shape(int[] dims) {
        if (dims.length == 0) {
            throw new IllegalArgumentException("a shape needs at least one dimension (use 1 for a scalar)");
        }
        if (dims.length > MAX_RANK) {
            throw new IllegalArgumentException("shape " + join(dims) + " has " + dims.length + " dimensions; ABI v1 "
                    + "allows at most " + MAX_RANK + " (fold dimensions together, e.g. 2x3 as 6)");
        }
        long count = 1;
        for (int d : dims) {
            if (d < 1 || d > MAX_DIM) {
                throw new IllegalArgumentException(
                        "dimension " + d + " out of range 1.." + MAX_DIM + " in shape " + Arrays.toString(dims));
            }
            if (count > MAX_ELEMENTS / d) {
                throw new IllegalArgumentException("shape " + Arrays.toString(dims) + " has more than 2^40 elements");
            }
            count *= d;
        }
        this.dims = dims;
        this.elementCount = count;
    }

    public static Shape of(int... dims) {
        return new Shape(dims.clone());
    }

    /** Parses the ABI notation {@code 28x28}. */
    public static Shape parse(String text) {
        String[] parts = text.split("x", -1);
        int[] dims = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                dims[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "shape '" + text + "' is not dimensions separated by 'x', e.g. 28x28 or 10");
            }
        }
        return new Shape(dims);
    }

    public int rank() {
        return dims.length;
    }

    public int dim(int i) {
        return dims[i];
    }

    public int[] dims() {
        return dims.clone();
    }

    /** Product of the dimensions. */
    public long elementCount() {
        return elementCount;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape other && Arrays.equals(dims, other.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /** The ABI notation, e.g. {@code 28x28}. */
    @Override
    public String toString() {
        return join(dims);
    }

    private static String join(int[] dims) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < dims.length; i++) {
            if (i > 0) {
                sb.append('x');
            }
            sb.append(dims[i]);
        }
        return sb.toString();
    }
}
