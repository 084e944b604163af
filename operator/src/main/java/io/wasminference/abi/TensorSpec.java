package io.wasminference.abi;

import org.apache.flink.annotation.PublicEvolving;

import java.io.Serializable;
import java.util.Objects;

/**
 * A named input or output of a model: its element type and the shape of one sample.
 *
 * @param name unique among the model's inputs (or outputs)
 * @param dtype element type
 * @param shape shape of one sample; the batch dimension is implicit and outer-most
 */
@PublicEvolving
public record TensorSpec(String name, DType dtype, Shape shape) implements Serializable {

    public TensorSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
    }

    /** Bytes of one sample: elements times element size. */
    public long sampleBytes() {
        return shape.elementCount() * dtype.byteSize();
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + shape;
    }
}
