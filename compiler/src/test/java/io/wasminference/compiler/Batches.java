package io.wasminference.compiler;

import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.TensorSpec;
import io.wasminference.format.Sample;
import io.wasminference.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/** Test helper: stacks decoded samples into one batch tensor per model input. */
final class Batches {
    private Batches() {}

    static List<Tensor> of(ModelMetadata meta, List<Sample> samples) {
        List<Tensor> inputs = new ArrayList<>();
        for (TensorSpec spec : meta.inputs()) {
            int sampleBytes = Math.toIntExact(spec.sampleBytes());
            byte[] data = new byte[sampleBytes * samples.size()];
            for (int i = 0; i < samples.size(); i++) {
                samples.get(i).inputs().values().iterator().next().buffer().get(data, i * sampleBytes, sampleBytes);
            }
            int[] dims = spec.shape().dims();
            int[] shape = new int[dims.length + 1];
            shape[0] = samples.size();
            System.arraycopy(dims, 0, shape, 1, dims.length);
            inputs.add(Tensor.wrap(spec.dtype(), shape, data));
        }
        return inputs;
    }
}
