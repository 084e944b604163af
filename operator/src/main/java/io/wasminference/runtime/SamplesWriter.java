package io.wasminference.runtime;

import io.wasminference.abi.TensorSpec;
import io.wasminference.tensor.Tensor;
import org.apache.flink.annotation.Internal;

import java.util.List;
import java.util.Map;

/**
 * A {@link BatchWriter} that stacks per-sample tensors (one map of input name to tensor per sample, no batch
 * dimension) straight into the model's input buffers: one bulk copy per sample and input, nothing in between.
 *
 * <p>It checks nothing: every sample must already hold each input with the spec's dtype and size
 * ({@code io.wasminference.predict.Predictor} checks inputs once, before they reach a batch). A sample that does
 * not fit still cannot write outside its input's buffer: {@link ModelInstance#run(int, BatchWriter)} bounds the
 * writes and fails the call with {@code INVALID_INPUT} when the byte count is off.
 */
@Internal
public final class SamplesWriter implements BatchWriter {
    private final List<Map<String, Tensor>> samples;

    public SamplesWriter(List<Map<String, Tensor>> samples) {
        this.samples = samples;
    }

    @Override
    public void write(int inputIndex, TensorSpec spec, TensorWriter target) {
        for (Map<String, Tensor> sample : samples) {
            target.put(sample.get(spec.name()));
        }
    }
}
