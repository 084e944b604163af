package io.wasminference.batching;

import org.apache.flink.annotation.PublicEvolving;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/**
 * When a batch is flushed: when it holds {@code maxSize} records (never more than the model's declared largest
 * batch), or when its oldest record has waited {@code maxDelay}. The operator also flushes before every
 * checkpoint barrier, on every watermark and at end of input, so nothing buffered is ever in a checkpoint.
 *
 * @param maxSize most records per wasm call
 * @param maxDelay longest time a record waits for others to share its call
 */
@PublicEvolving
public record BatchPolicy(int maxSize, Duration maxDelay) implements Serializable {

    public BatchPolicy {
        Objects.requireNonNull(maxDelay, "maxDelay");
        if (maxSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + maxSize);
        }
        if (maxDelay.isNegative()) {
            throw new IllegalArgumentException("max batch delay must not be negative, got " + maxDelay);
        }
    }

    /** 64 records or 10 ms. */
    public static BatchPolicy defaults() {
        return new BatchPolicy(64, Duration.ofMillis(10));
    }

    /** The batch size to use with a model that accepts at most {@code modelMaxBatch}. */
    public int effectiveSize(int modelMaxBatch) {
        return Math.min(maxSize, modelMaxBatch);
    }
}
