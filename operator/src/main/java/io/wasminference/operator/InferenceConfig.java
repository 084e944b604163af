package io.wasminference.operator;

import io.wasminference.batching.BatchPolicy;
import io.wasminference.model.ModelRef;
import io.wasminference.model.ModelRepository;
import io.wasminference.runtime.SandboxLimits;

import java.io.Serializable;
import java.util.Objects;

/**
 * Everything the inference operator needs, serializable so it travels in the job graph to the TaskManagers; the
 * native objects are created from it in {@code open()}. Built by {@link WasmInference}.
 *
 * @param model the model served when the job does not restore one from a checkpoint
 * @param limits sandbox limits of each instance
 * @param batching when to flush a batch
 * @param errorPolicy what to do when the model fails on a record
 * @param topK how many classes a classifier's prediction carries
 * @param circuitBreakerThreshold model failures in a row (records, not batches) after which the task fails
 * @param repository where control commands deploy versions from; null when the job takes no commands
 */
public record InferenceConfig(ModelRef model, SandboxLimits limits, BatchPolicy batching, ErrorPolicy errorPolicy,
        int topK, int circuitBreakerThreshold, ModelRepository repository) implements Serializable {

    private static final long serialVersionUID = 1L;

    public InferenceConfig {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(batching, "batching");
        Objects.requireNonNull(errorPolicy, "errorPolicy");
        if (topK < 0) {
            throw new IllegalArgumentException("topK must not be negative, got " + topK);
        }
        if (circuitBreakerThreshold < 1) {
            throw new IllegalArgumentException("circuit breaker threshold must be at least 1, got "
                    + circuitBreakerThreshold);
        }
    }

    /** Without a model repository. */
    public InferenceConfig(ModelRef model, SandboxLimits limits, BatchPolicy batching, ErrorPolicy errorPolicy,
            int topK, int circuitBreakerThreshold) {
        this(model, limits, batching, errorPolicy, topK, circuitBreakerThreshold, null);
    }
}
