package io.wasminference.runtime;

import io.wasminference.tensor.Tensor;

import java.util.List;

/**
 * One live wasm instance of some module kind, owned by a {@link ModelInstance}: ABI v1 ({@link Sandbox}) or the
 * seed's JSON contract ({@link TvmSandbox}). It runs one batch per call and throws a typed
 * {@link io.wasminference.errors.WasmInferenceException} on failure; the owning {@link ModelInstance} decides
 * whether to throw it away. Not thread-safe; after {@link #close()} nothing of it is touched again.
 */
interface LiveInstance extends AutoCloseable {

    /**
     * Runs one batch of {@code batch} samples (1..max_batch, checked by the caller).
     *
     * @return the outputs in metadata order, each of shape {@code [batch, ...spec.shape]}
     */
    List<Tensor> run(int batch, BatchWriter writer);

    /** Size of linear memory after the last call into the module. */
    long memoryBytes();

    /** Frees the native objects. Idempotent. */
    @Override
    void close();
}
