package io.wasminference.runtime;

import io.wasminference.errors.WasmInferenceException;
import io.wasminference.tensor.Tensor;
import org.apache.flink.annotation.Internal;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Runs samples through a {@link ModelInstance} in calls of at most {@code maxBatch} samples and isolates failures:
 * when a call fails, its samples are retried in halves (after a trap or timeout on the fresh instance the
 * {@code ModelInstance} creates) down to single samples, so only the samples that fail on their own are reported as
 * failed. One poison sample in a batch of n costs about 2 log2(n) calls. {@code io.wasminference.predict.Predictor}
 * runs every batch through it, so the streaming operator and the {@code predict} command isolate records alike.
 *
 * <p>Retrying is bounded by a time budget per batch (per call of up to {@code maxBatch} samples): once it is spent, a
 * call of several samples that fails is not split again, its samples are reported {@link Listener#failedTogether
 * together}, and the halves still waiting are run once each. A batch then costs at most the budget plus (1 + log2
 * of its size) call timeouts; without the budget, a batch of 64 that always times out took 127 call timeouts, past
 * the checkpoint and transaction timeouts of a job. A single hanging sample still leaves the rest predicted.
 *
 * <p>Outcomes are reported in sample order. Not thread-safe, like the instance it drives.
 */
@Internal
public final class IsolatingRunner {

    /** What happened to each call and each sample; positions index the list given to {@link #run}. */
    public interface Listener {
        /**
         * A call of {@code batchSize} samples failed. Return to retry its samples in halves (or, once the budget is
         * spent, to have them reported {@link #failedTogether}); throw to stop (the exception propagates out of
         * {@link #run}).
         */
        void callFailed(WasmInferenceException e, int batchSize);

        /** A call of {@code batchSize} samples succeeded in {@code micros}; its samples' outcomes follow. */
        void callSucceeded(int batchSize, long micros);

        /** Sample {@code position} was predicted: it is row {@code row} of each output tensor. */
        void predicted(int position, List<Tensor> outputs, int row, int batchSize, long micros);

        /** Sample {@code position} failed on its own, in a call of just itself. */
        void failed(int position, WasmInferenceException e);

        /**
         * Samples {@code from} (inclusive) to {@code to} (exclusive), at least two, failed together in one call and
         * are not retried: the time budget of their batch is spent. Any of them, or none alone, may be the cause.
         */
        void failedTogether(int from, int to, WasmInferenceException e);
    }

    private IsolatingRunner() {}

    /**
     * @param samples each sample's inputs by name, each already checked against the model's inputs (the
     *     {@link SamplesWriter} copies them without looking)
     * @param maxBatch most samples per call, at most the model's {@code max_batch}
     * @param budget how long after its first call a batch of up to {@code maxBatch} samples may still be split to
     *     isolate failures; zero never splits a failed call
     */
    public static void run(ModelInstance instance, int maxBatch, List<Map<String, Tensor>> samples, Duration budget,
            Listener listener) {
        run(instance, maxBatch, samples, budget, listener, System::nanoTime);
    }

    /** With the clock the budget is measured on, so tests can spend it deterministically. */
    static void run(ModelInstance instance, int maxBatch, List<Map<String, Tensor>> samples, Duration budget,
            Listener listener, LongSupplier nanoClock) {
        if (maxBatch < 1 || maxBatch > instance.metadata().maxBatch()) {
            throw new IllegalArgumentException("maxBatch " + maxBatch + " is outside 1.."
                    + instance.metadata().maxBatch() + " of model " + instance.metadata().id());
        }
        Objects.requireNonNull(budget, "budget");
        if (budget.isNegative()) {
            throw new IllegalArgumentException("budget must not be negative, got " + budget);
        }
        long budgetNanos = saturatedNanos(budget);
        for (int from = 0; from < samples.size(); from += maxBatch) {
            Batch batch = new Batch(instance, samples, listener, nanoClock, nanoClock.getAsLong() + budgetNanos);
            batch.isolate(from, Math.min(samples.size(), from + maxBatch));
        }
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 2; // centuries: never spent, and adding it to a clock reading cannot overflow
        }
    }

    /** One batch being run and, if it fails, isolated, with the time at which retrying must stop. */
    private record Batch(ModelInstance instance, List<Map<String, Tensor>> samples, Listener listener,
            LongSupplier nanoClock, long retryDeadlineNanos) {

        boolean budgetSpent() {
            return nanoClock.getAsLong() - retryDeadlineNanos >= 0;
        }

        void isolate(int from, int to) {
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
                if (budgetSpent()) {
                    listener.failedTogether(from, to, e);
                    return;
                }
                int mid = from + size / 2;
                isolate(from, mid);
                isolate(mid, to);
                return;
            }
            long micros = (System.nanoTime() - start) / 1000;
            listener.callSucceeded(size, micros);
            for (int row = 0; row < size; row++) {
                listener.predicted(from + row, outputs, row, size, micros);
            }
        }
    }
}
