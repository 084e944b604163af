package io.wasminference.runtime;

import io.wasminference.errors.WasmInferenceException;
import io.wasminference.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * Runs samples through a {@link ModelInstance} in calls of at most {@code maxBatch} samples and isolates failures:
 * when a call fails, its samples are retried in halves (after a trap or timeout on the fresh instance the
 * {@code ModelInstance} creates) down to single samples, so only the samples that fail on their own are reported as
 * failed. One poison sample in a batch of n costs about 2 log2(n) calls. The streaming operator and the
 * {@code predict} command both isolate records this way.
 *
 * <p>Outcomes are reported in sample order. Not thread-safe, like the instance it drives.
 */
public final class IsolatingRunner {

    /** What happened to each call and each sample; positions index the list given to {@link #run}. */
    public interface Listener {
        /**
         * A call of {@code batchSize} samples failed. Return to retry its samples in halves; throw to stop (the
         * exception propagates out of {@link #run}).
         */
        void callFailed(WasmInferenceException e, int batchSize);

        /** A call of {@code batchSize} samples succeeded in {@code micros}; its samples' outcomes follow. */
        void callSucceeded(int batchSize, long micros);

        /** Sample {@code position} was predicted: it is row {@code row} of each output tensor. */
        void predicted(int position, List<Tensor> outputs, int row, int batchSize, long micros);

        /** Sample {@code position} failed on its own, in a call of just itself. */
        void failed(int position, WasmInferenceException e);
    }

    private IsolatingRunner() {}

    /**
     * @param samples each sample's inputs by name
     * @param maxBatch most samples per call, at most the model's {@code max_batch}
     */
    public static void run(ModelInstance instance, int maxBatch, List<Map<String, Tensor>> samples,
            Listener listener) {
        if (maxBatch < 1 || maxBatch > instance.metadata().maxBatch()) {
            throw new IllegalArgumentException("maxBatch " + maxBatch + " is outside 1.."
                    + instance.metadata().maxBatch() + " of model " + instance.metadata().id());
        }
        for (int from = 0; from < samples.size(); from += maxBatch) {
            isolate(instance, samples, from, Math.min(samples.size(), from + maxBatch), listener);
        }
    }

    private static void isolate(ModelInstance instance, List<Map<String, Tensor>> samples, int from, int to,
            Listener listener) {
        int size = to - from;
        List<Map<String, Tensor>> batch = samples.subList(from, to);
        long start = System.nanoTime();
        List<Tensor> outputs;
        try {
            outputs = instance.run(size, new SamplesWriter(batch));
        } catch (WasmInferenceException e) {
            listener.callFailed(e, size);
            if (size == 1) {
                listener.failed(from, e);
                return;
            }
            int mid = from + size / 2;
            isolate(instance, samples, from, mid, listener);
            isolate(instance, samples, mid, to, listener);
            return;
        }
        long micros = (System.nanoTime() - start) / 1000;
        listener.callSucceeded(size, micros);
        for (int row = 0; row < size; row++) {
            listener.predicted(from + row, outputs, row, size, micros);
        }
    }
}
