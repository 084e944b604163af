package io.wasminference.format;

import io.wasminference.tensor.Tensor;
import org.apache.flink.annotation.PublicEvolving;

import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * One input record decoded from a dataset file or a Kafka record: an id, one tensor per model input (each the
 * shape of one sample, no batch dimension) and, in labelled test sets, the true class.
 *
 * @param id caller's identifier, carried to the prediction
 * @param inputs tensors by input name
 * @param label the true class when known
 */
@PublicEvolving
public record Sample(String id, Map<String, Tensor> inputs, OptionalInt label) {
    public Sample {
        Objects.requireNonNull(id, "id");
        inputs = Map.copyOf(inputs);
        Objects.requireNonNull(label, "label");
    }
}
