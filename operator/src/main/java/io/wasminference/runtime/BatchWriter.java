package io.wasminference.runtime;

import io.wasminference.abi.TensorSpec;
import org.apache.flink.annotation.Internal;

/**
 * Fills the inputs of one batch. Called once per model input, in metadata order; the writer must write exactly
 * {@code batchSize * spec.sampleBytes()} bytes, samples one after the other.
 */
@Internal
@FunctionalInterface
public interface BatchWriter {
    void write(int inputIndex, TensorSpec spec, TensorWriter target);
}
