package io.wasminference.runtime;

import io.wasminference.abi.TensorSpec;

/**
 * Fills the inputs of one batch. Called once per model input, in metadata order; the writer must write exactly
 * {@code batchSize * spec.sampleBytes()} bytes, samples one after the other.
 */
@FunctionalInterface
public interface BatchWriter {
    void write(int inputIndex, TensorSpec spec, TensorWriter target);
}
