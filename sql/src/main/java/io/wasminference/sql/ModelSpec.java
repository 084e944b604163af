package io.wasminference.sql;

import io.wasminference.model.ModelRef;
import io.wasminference.runtime.SandboxLimits;

import java.io.Serializable;
import java.time.Duration;

/**
 * Everything a subtask needs to serve the model, resolved when the query is planned and shipped with the function
 * (Java-serialized): where the model is, the sandbox's limits, the column mapping, batching and the error policy.
 */
record ModelSpec(ModelRef ref, SandboxLimits limits, PredictSchema schema, int batchSize, Duration maxDelay,
                 WasmModelOptions.OnError onError) implements Serializable {

    boolean failOnError() {
        return onError == WasmModelOptions.OnError.FAIL;
    }

    PredictEngine open(org.apache.flink.metrics.MetricGroup group) {
        return new PredictEngine(ref, limits, schema, batchSize, failOnError(), e -> new io.wasminference.metrics.InferenceMetrics(
                group, e::modelId, e::sha256, e::memoryBytes, e::restarts, e.loadMillis()));
    }
}
