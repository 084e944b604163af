package io.wasminference.operator;

import io.wasminference.batching.BatchPolicy;
import io.wasminference.model.ModelRef;
import io.wasminference.model.ModelRepository;
import io.wasminference.predict.Predictor;
import io.wasminference.predict.PredictorConfig;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.signing.TrustedKeys;
import org.apache.flink.annotation.PublicEvolving;

import java.io.Serializable;
import java.time.Duration;
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
 * @param circuitBreakerThreshold records in a row the model failed on (dead-lettered with a model fault) after
 *     which the task fails
 * @param repository where control commands deploy versions from; null when the job takes no commands
 * @param batchTimeBudget how long a failed batch may be retried in halves to isolate the records that fail it;
 *     once spent, the records not isolated yet are dead-lettered with the batch's error, so a batch takes at most
 *     this plus (1 + log2 of its size) call timeouts
 * @param maxOutputBytes most bytes of output tensors one prediction may carry; records beyond it are dead-lettered
 *     ({@link io.wasminference.record.DeadLetter#OUTPUT_TOO_LARGE})
 * @param trustedKeys when not null, deploy commands load only versions whose manifest is signed by one of these
 *     keys; null deploys unsigned versions too
 */
@PublicEvolving
public record InferenceConfig(ModelRef model, SandboxLimits limits, BatchPolicy batching, ErrorPolicy errorPolicy,
        int topK, int circuitBreakerThreshold, ModelRepository repository, Duration batchTimeBudget,
        long maxOutputBytes, TrustedKeys trustedKeys) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The default {@link #batchTimeBudget()} in call timeouts. */
    public static final int DEFAULT_BUDGET_CALL_TIMEOUTS = PredictorConfig.DEFAULT_BUDGET_CALL_TIMEOUTS;
    /** Default {@link #maxOutputBytes()}: 128 KiB (see {@link PredictorConfig#DEFAULT_MAX_OUTPUT_BYTES}). */
    public static final long DEFAULT_MAX_OUTPUT_BYTES = PredictorConfig.DEFAULT_MAX_OUTPUT_BYTES;

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
        Objects.requireNonNull(batchTimeBudget, "batchTimeBudget");
        if (batchTimeBudget.isNegative()) {
            throw new IllegalArgumentException("batch time budget must not be negative, got " + batchTimeBudget);
        }
        if (maxOutputBytes < 1) {
            throw new IllegalArgumentException("max output bytes must be positive, got " + maxOutputBytes);
        }
    }

    /** Without a model repository, with the default batch time budget. */
    public InferenceConfig(ModelRef model, SandboxLimits limits, BatchPolicy batching, ErrorPolicy errorPolicy,
            int topK, int circuitBreakerThreshold) {
        this(model, limits, batching, errorPolicy, topK, circuitBreakerThreshold, null,
                defaultBudget(limits), DEFAULT_MAX_OUTPUT_BYTES, null);
    }

    /** {@value #DEFAULT_BUDGET_CALL_TIMEOUTS} call timeouts. */
    static Duration defaultBudget(SandboxLimits limits) {
        return PredictorConfig.defaultBudget(limits);
    }

    /**
     * What the {@link Predictor} of each subtask runs with. With {@link ErrorPolicy#FAIL} it does not isolate
     * failures: the first model fault fails the task.
     */
    public PredictorConfig predictorConfig() {
        return new PredictorConfig(limits, topK, batchTimeBudget, maxOutputBytes,
                errorPolicy == ErrorPolicy.DEAD_LETTER);
    }
}
