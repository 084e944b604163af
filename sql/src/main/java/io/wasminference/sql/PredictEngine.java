package io.wasminference.sql;

import io.wasminference.errors.ErrorKind;
import io.wasminference.errors.WasmInferenceException;
import io.wasminference.metrics.InferenceMetrics;
import io.wasminference.model.ModelRef;
import io.wasminference.runtime.IsolatingRunner;
import io.wasminference.runtime.ModelInstance;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.runtime.WasmModel;
import io.wasminference.tensor.Tensor;

import org.apache.flink.table.data.RowData;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One sandboxed instance of the model for one subtask of ML_PREDICT, and the per-row verdicts of a batch: the rows
 * the model answers become output rows, the others failed rows (or a failed query with {@code on-error = FAIL}).
 * Failures are isolated as the DataStream operator isolates them ({@link IsolatingRunner}). Used by one thread at a
 * time; owns the native instance.
 */
final class PredictEngine implements AutoCloseable {
    private final WasmModel model;
    private final ModelInstance instance;
    private final RowCodec codec;
    private final InferenceMetrics metrics;
    private final int maxBatch;
    private final Duration budget;
    private final long loadMillis;

    /** A sample handed to the engine: its decoded inputs, or why the row could not be decoded. */
    record Sample(Map<String, Tensor> inputs, String error, long arrivalNanos) {}

    PredictEngine(ModelRef ref, SandboxLimits limits, PredictSchema schema, int batchSize,
                  java.util.function.Function<PredictEngine, InferenceMetrics> metricsFactory) {
        long start = System.nanoTime();
        WasmModel m = WasmModel.load(ref.load(), limits);
        ModelInstance inst;
        try {
            inst = m.newInstance();
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        this.model = m;
        this.instance = inst;
        this.loadMillis = (System.nanoTime() - start) / 1_000_000;
        this.codec = new RowCodec(schema, m.metadata(), m.sha256());
        this.maxBatch = Math.max(1, Math.min(batchSize, m.metadata().maxBatch()));
        this.budget = limits.callTimeout().multipliedBy(3);
        this.metrics = metricsFactory.apply(this);
    }

    long loadMillis() {
        return loadMillis;
    }

    String modelId() {
        return model.metadata().id();
    }

    String sha256() {
        return model.sha256();
    }

    long memoryBytes() {
        return instance.isClosed() ? 0 : instance.memoryBytes();
    }

    long restarts() {
        return instance.restarts();
    }

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
                out[i] = failedRow(ErrorKind.INVALID_INPUT, s.error(), fail);
            } else {
                positions.add(i);
                inputs.add(s.inputs());
            }
        }
        if (inputs.isEmpty()) {
            return out;
        }
        long now = System.nanoTime();
        IsolatingRunner.run(instance, maxBatch, inputs, budget, new IsolatingRunner.Listener() {
            @Override
            public void callFailed(WasmInferenceException e, int size) {
                metrics.recordFailure(e.kind());
                if (fail) {
                    throw e;
                }
            }

            @Override
            public void callSucceeded(int size, long micros) {
                metrics.recordBatch(size, micros);
            }

            @Override
            public void predicted(int position, List<Tensor> outputs, int row, int size, long micros) {
                int i = positions.get(position);
                out[i] = codec.encode(outputs, row);
                metrics.recordPrediction((now - samples.get(i).arrivalNanos()) / 1000, micros);
            }

            @Override
            public void failed(int position, WasmInferenceException e) {
                out[positions.get(position)] = failedRow(e.kind(), e.kind() + ": " + e.getMessage(), fail);
            }

            @Override
            public void failedTogether(int from, int to, WasmInferenceException e) {
                metrics.recordBudgetExhausted();
                for (int p = from; p < to; p++) {
                    out[positions.get(p)] = failedRow(e.kind(), e.kind() + " (in a group of " + (to - from) + " rows not retried: "
                            + "the batch's time budget was spent): " + e.getMessage(), fail);
                }
            }
        });
        return out;
    }

    private RowData failedRow(ErrorKind kind, String reason, boolean fail) {
        if (fail) {
            throw new ModelRowException(reason);
        }
        metrics.recordDeadLetter(kind.name());
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
        try {
            instance.close();
        } finally {
            model.close();
        }
    }
}
