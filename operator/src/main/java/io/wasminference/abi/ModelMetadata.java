package io.wasminference.abi;

import org.apache.flink.annotation.PublicEvolving;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a model module declares about itself in its {@code wasm-inference.v1} custom section (docs/abi.md §2),
 * read without running any of its code.
 *
 * @param abiVersion always 1 for now
 * @param name model name
 * @param version model version
 * @param maxBatch largest batch the module accepts
 * @param inputs inputs in slot order
 * @param outputs outputs in slot order
 * @param kind classifier or generic
 * @param labels class labels indexed by position in the first output; empty when none were declared
 * @param description free text, may be empty
 */
@PublicEvolving
public record ModelMetadata(
        int abiVersion,
        String name,
        String version,
        int maxBatch,
        List<TensorSpec> inputs,
        List<TensorSpec> outputs,
        ModelKind kind,
        List<String> labels,
        String description)
        implements Serializable {

    public ModelMetadata {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        labels = List.copyOf(labels);
        Objects.requireNonNull(kind, "kind");
        description = description == null ? "" : description;
    }

    /** The input with this name, if the model has one. */
    public Optional<TensorSpec> input(String inputName) {
        return inputs.stream().filter(t -> t.name().equals(inputName)).findFirst();
    }

    /** The output with this name, if the model has one. */
    public Optional<TensorSpec> output(String outputName) {
        return outputs.stream().filter(t -> t.name().equals(outputName)).findFirst();
    }

    /** Label of class {@code index} of a classifier, or the index as text when no label was declared. */
    public String label(int index) {
        return index < labels.size() ? labels.get(index) : Integer.toString(index);
    }

    /** {@code name:version}, the way logs and predictions name a model. */
    public String id() {
        return name + ":" + version;
    }
}
