package io.wasminference.predict;

import io.wasminference.runtime.SandboxLimits;
import org.apache.flink.annotation.PublicEvolving;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link Predictor} runs its model. Immutable and serializable, so it can travel in a Flink job graph; start
 * from {@link #of(SandboxLimits)} and change what differs with the {@code with*} methods.
 *
 * @param limits sandbox limits of the model's instance
 * @param topK how many classes a classifier's prediction carries (0: none)
 * @param batchTimeBudget how long a failed batch may be retried in halves to isolate the inputs that fail it; once
 *     spent, the inputs not isolated yet fail together with the batch's error, so a batch takes at most this plus
 *     (1 + log2 of its size) call timeouts; zero never retries a failed batch
 * @param maxOutputBytes most bytes of output tensors one prediction may carry; an input whose outputs would be
 *     larger fails with {@link Outcome#OUTPUT_TOO_LARGE}
 * @param isolateFailures whether a failed call is retried in halves to isolate the inputs that fail it (true), or
 *     {@link Predictor#infer} throws the model's error at once (false). A model that rejects an input (status
 *     INVALID_INPUT) is always isolated: that is a verdict on the input, not a model fault.
 */
@PublicEvolving
public record PredictorConfig(SandboxLimits limits, int topK, Duration batchTimeBudget, long maxOutputBytes,
        boolean isolateFailures) implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The default {@link #topK()}. */
    public static final int DEFAULT_TOP_K = 5;
    /** The default {@link #batchTimeBudget()} in call timeouts. */
    public static final int DEFAULT_BUDGET_CALL_TIMEOUTS = 3;
    /**
     * Default {@link #maxOutputBytes()}: 128 KiB. Its JSON prediction stays under Kafka's default 1 MiB message
     * limit for every dtype (i8 is the worst: up to 5 characters per byte); see PredictionJsonTest.
     */
    public static final long DEFAULT_MAX_OUTPUT_BYTES = 128L << 10;

    public PredictorConfig {
        Objects.requireNonNull(limits, "limits");
        if (topK < 0) {
            throw new IllegalArgumentException("topK must not be negative, got " + topK);
        }
        Objects.requireNonNull(batchTimeBudget, "batchTimeBudget");
        if (batchTimeBudget.isNegative()) {
            throw new IllegalArgumentException("batch time budget must not be negative, got " + batchTimeBudget);
        }
        if (maxOutputBytes < 1) {
            throw new IllegalArgumentException("max output bytes must be positive, got " + maxOutputBytes);
        }
    }

    /**
     * With these limits: top {@value #DEFAULT_TOP_K} classes, a budget of {@value #DEFAULT_BUDGET_CALL_TIMEOUTS}
     * call timeouts, at most {@value #DEFAULT_MAX_OUTPUT_BYTES} output bytes per prediction, failures isolated.
     */
    public static PredictorConfig of(SandboxLimits limits) {
        return new PredictorConfig(limits, DEFAULT_TOP_K, defaultBudget(limits), DEFAULT_MAX_OUTPUT_BYTES, true);
    }

    /** {@value #DEFAULT_BUDGET_CALL_TIMEOUTS} call timeouts of {@code limits}. */
    public static Duration defaultBudget(SandboxLimits limits) {
        return limits.callTimeout().multipliedBy(DEFAULT_BUDGET_CALL_TIMEOUTS);
    }

    public PredictorConfig withTopK(int k) {
        return new PredictorConfig(limits, k, batchTimeBudget, maxOutputBytes, isolateFailures);
    }

    public PredictorConfig withBatchTimeBudget(Duration budget) {
        return new PredictorConfig(limits, topK, budget, maxOutputBytes, isolateFailures);
    }

    public PredictorConfig withMaxOutputBytes(long bytes) {
        return new PredictorConfig(limits, topK, batchTimeBudget, bytes, isolateFailures);
    }

    public PredictorConfig withIsolateFailures(boolean isolate) {
        return new PredictorConfig(limits, topK, batchTimeBudget, maxOutputBytes, isolate);
    }
}
