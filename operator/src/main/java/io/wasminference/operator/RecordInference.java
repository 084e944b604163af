package io.wasminference.operator;

import io.wasminference.batching.BatchBuffer;
import io.wasminference.errors.ErrorKind;
import io.wasminference.errors.WasmInferenceException;
import io.wasminference.metrics.InferenceMetrics;
import io.wasminference.model.ModelVersion;
import io.wasminference.predict.InferenceObserver;
import io.wasminference.predict.Outcome;
import io.wasminference.record.DeadLetter;
import io.wasminference.record.InferenceRequest;
import io.wasminference.record.Prediction;
import io.wasminference.tensor.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns requests into predictions and dead letters through the serving model's {@link io.wasminference.predict.Predictor},
 * and applies what the operator adds to it: the {@link ErrorPolicy}, the circuit breaker and the metrics. Shared by
 * the batching operators and {@link WasmInferenceFunction}, so they fail alike. Task thread only.
 */
final class RecordInference {
    private static final Logger LOG = LoggerFactory.getLogger(RecordInference.class);

    /** Receives the result for each request of a batch, by its index. */
    interface Emitter {
        void prediction(int index, Prediction prediction);

        void deadLetter(int index, DeadLetter deadLetter);
    }

    private final InferenceConfig config;
    private final InferenceMetrics metrics;
    private final int subtask;
    private final Observer observer = new Observer();
    /** Records dead-lettered with a model fault in a row (the circuit breaker). */
    private int consecutiveFailures;

    RecordInference(InferenceConfig config, InferenceMetrics metrics, int subtask) {
        this.config = config;
        this.metrics = metrics;
        this.subtask = subtask;
    }

    /** A new model serves: earlier failures say nothing about it. */
    void resetCircuitBreaker() {
        consecutiveFailures = 0;
    }

    /**
     * Infers a batch and emits one prediction or dead letter per request, in order. Nothing of the batch is
     * emitted when it fails the task (error policy FAIL, or the circuit breaker opens).
     *
     * @param flushNanos when the batch left the buffer ({@link System#nanoTime()}): queue time ends there
     */
    void infer(ServingModel serving, List<BatchBuffer.Entry<InferenceRequest>> entries, long flushNanos,
            Emitter out) {
        List<Map<String, Tensor>> inputs = new ArrayList<>(entries.size());
        for (BatchBuffer.Entry<InferenceRequest> e : entries) {
            inputs.add(e.element().inputs());
        }
        metrics.recordIn(entries.size());
        ModelVersion version = serving.current();
        List<Outcome> outcomes;
        try {
            outcomes = serving.predictor().infer(inputs, observer);
        } catch (WasmInferenceException e) { // only with ErrorPolicy.FAIL: the predictor does not isolate then
            throw new IllegalStateException("model " + version.id() + " failed on a batch of "
                    + observer.lastFailedBatch + " (error policy FAIL): " + e.getMessage(), e);
        }
        Object[] records = new Object[outcomes.size()];
        // The predictions' latencies go to the metrics once per batch (also when the circuit breaker opens midway).
        long[] queueMicros = new long[records.length];
        long[] latencyMicros = new long[records.length];
        int predicted = 0;
        WasmInferenceException group = null;
        try {
            for (int i = 0; i < records.length; i++) {
                InferenceRequest r = entries.get(i).element();
                if (outcomes.get(i) instanceof Outcome.Predicted p) {
                    consecutiveFailures = 0;
                    long queue = Math.max(0, (flushNanos - entries.get(i).arrivedNanos()) / 1000);
                    records[i] = new Prediction(r.id(), r.key(), r.headers(), p.outputs(), p.topK(), version.name(),
                            version.version(), p.batchSize(), queue, p.inferenceMicros());
                    queueMicros[predicted] = queue;
                    latencyMicros[predicted++] = queue + p.inferenceMicros();
                    continue;
                }
                Outcome.Failed f = (Outcome.Failed) outcomes.get(i);
                records[i] = DeadLetter.of(r, f.errorKind(), f.reason(), version.name(), version.version());
                metrics.recordDeadLetter(f.errorKind());
                if (f.error() == null) {
                    consecutiveFailures = 0; // OUTPUT_TOO_LARGE: the call itself succeeded
                } else if (f.modelFault() && f.error() != group) {
                    group = f.error(); // the records of a group that failed together count at once
                    countModelFailures(version, f.error(), f.groupSize());
                }
            }
        } finally {
            metrics.recordPredictions(queueMicros, latencyMicros, predicted);
        }
        for (int i = 0; i < records.length; i++) {
            if (records[i] instanceof Prediction p) {
                out.prediction(i, p);
            } else {
                out.deadLetter(i, (DeadLetter) records[i]);
            }
        }
    }

    /**
     * The circuit breaker counts records dead-lettered with a model fault in a row, isolated or not, so a model
     * that times out on everything opens it after about threshold / batch size batches of one budget each. Any
     * successful call resets it; INVALID_INPUT never counts (the record's fault).
     */
    private void countModelFailures(ModelVersion version, WasmInferenceException e, int records) {
        consecutiveFailures += records;
        if (consecutiveFailures >= config.circuitBreakerThreshold()) {
            throw new IllegalStateException("circuit breaker open: model " + version.id() + " failed on "
                    + consecutiveFailures + " records in a row, the last with " + e.kind() + ": " + e.getMessage()
                    + ". Failing the task so Flink's restart strategy applies; if the model is broken, deploy a "
                    + "fixed version, otherwise raise circuitBreakerThreshold.", e);
        }
    }

    /** Feeds the metrics from the predictor's calls; remembers the last failed call for the FAIL message. */
    private final class Observer implements InferenceObserver {
        int lastFailedBatch;

        @Override
        public void inputRejected(String problem) {
            metrics.recordFailure(ErrorKind.INVALID_INPUT);
        }

        @Override
        public void callSucceeded(int batchSize, long micros) {
            metrics.recordBatch(batchSize, micros);
        }

        @Override
        public void callFailed(ErrorKind kind, int batchSize) {
            lastFailedBatch = batchSize;
            metrics.recordFailure(kind);
        }

        @Override
        public void budgetExhausted(int records, WasmInferenceException cause) {
            metrics.recordBudgetExhausted();
            LOG.warn("Subtask {}: a group of {} records failed and was not split further: the batch time budget "
                    + "of {} is spent ({}: {})", subtask, records, config.batchTimeBudget(), cause.kind(),
                    cause.getMessage());
        }
    }
}
