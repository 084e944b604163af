package io.wasminference.predict;

import io.wasminference.errors.ErrorKind;
import io.wasminference.errors.WasmInferenceException;
import org.apache.flink.annotation.PublicEvolving;

/**
 * What a {@link Predictor} reports about its wasm calls while it infers a batch, for metrics and logs; the
 * per-input results are the {@link Outcome}s. Called on the thread that calls {@link Predictor#infer}. Every method
 * does nothing by default.
 */
@PublicEvolving
public interface InferenceObserver {
    /** Observes nothing. */
    InferenceObserver NONE = new InferenceObserver() {};

    /** An input was refused before any call: it does not fit the model's inputs. */
    default void inputRejected(String problem) {}

    /** A wasm call of {@code batchSize} inputs succeeded in {@code micros}. */
    default void callSucceeded(int batchSize, long micros) {}

    /** A wasm call of {@code batchSize} inputs failed. */
    default void callFailed(ErrorKind kind, int batchSize) {}

    /** {@code inputs} inputs of a failed call were not retried: the batch's time budget was spent. */
    default void budgetExhausted(int inputs, WasmInferenceException cause) {}
}
