package io.wasminference.jobs.kafka;

import org.apache.flink.annotation.PublicEvolving;

import java.util.Map;

/**
 * Tuning presets of the Kafka inference job ({@code --profile}). A profile only supplies defaults: an option or
 * Kafka client property given by the user wins over it. The values were chosen from the measurements in
 * docs/benchmarks.md ("End to end"), where each is justified.
 */
@PublicEvolving
public enum Profile {
    /**
     * Answer each record as soon as possible: batches close after 2 ms, producers send without lingering, and
     * network buffers between unchained operators are flushed at once. Costs throughput at saturation.
     */
    LATENCY(64, 2, 0,
            Map.of("linger.ms", "0"),
            Map.of("fetch.min.bytes", "1", "fetch.max.wait.ms", "100")),
    /**
     * Most records per CPU second: full batches of 128, the Kafka clients batch up to 1 MiB / 20 ms per request.
     * Records can wait up to about 20 ms in each of the batch, the producer and the consumer's fetch.
     */
    THROUGHPUT(128, 20, 100,
            Map.of("linger.ms", "20", "batch.size", Integer.toString(1 << 20)),
            Map.of("fetch.min.bytes", Integer.toString(64 << 10), "fetch.max.wait.ms", "20"));

    private final int batchSize;
    private final int maxDelayMs;
    private final int bufferTimeoutMs;
    private final Map<String, String> producer;
    private final Map<String, String> consumer;

    Profile(int batchSize, int maxDelayMs, int bufferTimeoutMs, Map<String, String> producer,
            Map<String, String> consumer) {
        this.batchSize = batchSize;
        this.maxDelayMs = maxDelayMs;
        this.bufferTimeoutMs = bufferTimeoutMs;
        this.producer = producer;
        this.consumer = consumer;
    }

    /** The job options this profile sets unless given, by key ({@code batch-size} ...). */
    public Map<String, String> jobOptions() {
        return Map.of(InferenceJobOptions.BATCH_SIZE.key(), Integer.toString(batchSize),
                InferenceJobOptions.MAX_DELAY_MS.key(), Integer.toString(maxDelayMs),
                InferenceJobOptions.BUFFER_TIMEOUT_MS.key(), Integer.toString(bufferTimeoutMs));
    }

    /** Kafka producer properties of the job's sinks unless given as {@code kafka.*}. */
    public Map<String, String> producerProperties() {
        return producer;
    }

    /** Kafka consumer properties of the job's input source unless given as {@code kafka.*}. */
    public Map<String, String> consumerProperties() {
        return consumer;
    }
}
