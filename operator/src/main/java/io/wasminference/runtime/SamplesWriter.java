package io.wasminference.runtime;

import io.wasminference.abi.TensorSpec;
import io.wasminference.errors.InvalidInputException;
import io.wasminference.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * A {@link BatchWriter} that stacks per-sample tensors (one map of input name to tensor per sample, no batch
 * dimension) straight into the model's input buffers: one bulk copy per sample and input, nothing in between.
 */
public final class SamplesWriter implements BatchWriter {
    private final List<Map<String, Tensor>> samples;

    public SamplesWriter(List<Map<String, Tensor>> samples) {
        this.samples = samples;
    }

    @Override
    public void write(int inputIndex, TensorSpec spec, TensorWriter target) {
        for (int i = 0; i < samples.size(); i++) {
            Tensor t = samples.get(i).get(spec.name());
            if (t == null) {
                throw new InvalidInputException("sample " + i + " of the batch has no input '" + spec.name() + "'");
            }
            if (t.dtype() != spec.dtype() || t.byteSize() != spec.sampleBytes()) {
                throw new InvalidInputException("sample " + i + " of the batch: input '" + spec.name() + "' is "
                        + t + ", the model expects " + spec);
            }
            target.put(t.buffer());
        }
    }
}
