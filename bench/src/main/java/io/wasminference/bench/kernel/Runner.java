package io.wasminference.bench.kernel;

/**
 * One way to run a batch of a sample model: copy the batch's input bytes in, run, copy the logits out. Every
 * implementation does exactly one copy in and one copy out per call, as a streaming operator must.
 */
public interface Runner extends AutoCloseable {
    /**
     * Runs the first {@code batch} samples (their stacked input bytes); returns the logits (a JMH blackhole
     * consumes them).
     */
    Object run(int batch, byte[] inputs);

    /** The logits of a run as little-endian f32 bytes, for comparing implementations. */
    byte[] logits(int batch, byte[] inputs);

    @Override
    void close();
}
