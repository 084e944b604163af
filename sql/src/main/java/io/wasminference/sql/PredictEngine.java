package io.wasminference.sql;

import io.wasminference.errors.ErrorKind;
import io.wasminference.errors.WasmInferenceException;
import io.wasminference.metrics.InferenceMetrics;
import io.wasminference.model.ModelRef;
import io.wasminference.predict.InferenceObserver;
import io.wasminference.predict.Outcome;
import io.wasminference.predict.Predictor;
import io.wasminference.predict.PredictorConfig;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.tensor.Tensor;

import org.apache.flink.table.data.RowData;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The model of one subtask of ML_PREDICT, in a {@link Predictor} (the one the DataStream operator and the CLI use:
 * inputs checked once, failures isolated in halves within the batch's time budget, the best class and its label),
 * and the per-row verdicts of a batch: the rows the model answers become output rows, the others failed rows (or a
 * failed query with {@code on-error = FAIL}). Used by one thread at a time; owns the predictor.
 */
final class PredictEngine implements AutoCloseable {
    private final Predictor predictor;
    private final RowCodec codec;
    private final InferenceMetrics metrics;
    private final int maxBatch;
    private final long loadMillis;

    /** Feeds the metrics from the predictor's calls. */
    private final InferenceObserver observer = new InferenceObserver() {
        @Override
        public void inputRejected(String problem) {
            metrics.recordFailure(ErrorKind.INVALID_INPUT);
        }

        @Override
        public void callSucceeded(int size, long micros) {
            metrics.recordBatch(size, micros);
        }

        @Override
        public void callFailed(ErrorKind kind, int size) {
            metrics.recordFailure(kind);
        }

        @Override
        public void budgetExhausted(int rows, WasmInferenceException cause) {
            metrics.recordBudgetExhausted();
        }
    };

    /** A sample handed to the engine: its decoded inputs, or why the row could not be decoded. */
    record Sample(Map<String, Tensor> inputs, String error, long arrivalNanos) {}

    /**
     * @param failOnError {@code on-error = FAIL}: the first model fault fails the query, nothing is retried
     */
    PredictEngine(ModelRef ref, SandboxLimits limits, PredictSchema schema, int batchSize, boolean failOnError,
                  java.util.function.Function<PredictEngine, InferenceMetrics> metricsFactory) {
        long start = System.nanoTime();
        // Top 1 for label, label_name and score; outputs are columns here, so no per-prediction output limit.
        this.predictor = Predictor.load(ref, PredictorConfig.of(limits).withTopK(1)
                .withMaxOutputBytes(Long.MAX_VALUE).withIsolateFailures(!failOnError));
        this.loadMillis = (System.nanoTime() - start) / 1_000_000;
        this.codec = new RowCodec(schema, predictor.metadata(), predictor.sha256());
        this.maxBatch = Math.max(1, Math.min(batchSize, predictor.metadata().maxBatch()));
        this.metrics = metricsFactory.apply(this);
    }

    long loadMillis() {
        return loadMillis;
    }

    String modelId() {
        return predictor.metadata().id();
    }

    String sha256() {
        return predictor.sha256();
    }

    long memoryBytes() {
        return predictor.memoryBytes();
    }

    long restarts() {
        return predictor.restarts();
    }

    /** The most rows {@link #run} gets at once: the configured batch size within the model's {@code max_batch}. */
    int maxBatch() {
        return maxBatch;
    }

    RowCodec codec() {
        return codec;
    }

    /** Decodes a row now (on the caller's thread); a row the model cannot take carries the reason. */
    Sample sample(RowData row) {
        metrics.recordIn();
        try {
            return new Sample(codec.decode(row), null, System.nanoTime());
        } catch (RowCodec.BadRow e) {
            return new Sample(null, e.getMessage(), System.nanoTime());
        }
    }

    /**
     * The output row of each sample, in order; a failed row carries its reason.
     *
     * @throws ModelRowException with {@code fail} when a sample cannot be answered
     */
    RowData[] run(List<Sample> samples, boolean fail) {
        RowData[] out = new RowData[samples.size()];
        List<Integer> positions = new ArrayList<>();
        List<Map<String, Tensor>> inputs = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            if (s.error() != null) {
                out[i] = failedRow(ErrorKind.INVALID_INPUT.name(), s.error(), fail);
            } else {
                positions.add(i);
                inputs.add(s.inputs());
            }
        }
        if (inputs.isEmpty()) {
            return out;
        }
        long now = System.nanoTime();
        List<Outcome> outcomes = predictor.infer(inputs, observer); // throws the model's error with fail
        for (int p = 0; p < outcomes.size(); p++) {
            int i = positions.get(p);
            if (outcomes.get(p) instanceof Outcome.Predicted hit) {
                out[i] = codec.encode(hit.outputs(), hit.topK());
                metrics.recordPrediction((now - samples.get(i).arrivalNanos()) / 1000, hit.inferenceMicros());
            } else {
                Outcome.Failed f = (Outcome.Failed) outcomes.get(p);
                out[i] = failedRow(f.errorKind(), f.errorKind() + ": " + f.reason(), fail);
            }
        }
        return out;
    }

    private RowData failedRow(String kind, String reason, boolean fail) {
        if (fail) {
            throw new ModelRowException(reason);
        }
        metrics.recordDeadLetter(kind);
        return codec.failed(reason);
    }

    /** A row the model cannot answer, with {@code on-error = FAIL}. */
    static final class ModelRowException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ModelRowException(String reason) {
            super("ML_PREDICT with provider 'wasm' could not answer a row ('on-error' = 'fail'): " + reason);
        }
    }

    @Override
    public void close() {
        predictor.close();
    }
}
