package io.wasminference.runtime;

import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.TensorSpec;
import io.wasminference.errors.InvalidInputException;
import io.wasminference.errors.WasmInferenceException;
import io.wasminference.tensor.Tensor;
import org.apache.flink.annotation.PublicEvolving;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * One sandboxed instance of a model: runs batches through {@code wi_run} (docs/abi.md §5), or for a
 * {@code tvm-standalone} module one {@code run} per sample of the batch (docs/tvm-standalone.md); callers see the
 * same batches and the same error kinds either way.
 *
 * <p>After a trap, timeout, out-of-memory or ABI violation the instance throws the sandbox away and creates a
 * fresh one before its next call ({@link #restarts()} counts them), so one bad batch does not poison later ones.
 *
 * <p>Thread-safety: <b>not thread-safe</b>. Use one instance per thread (in Flink, one per parallel subtask);
 * many instances of one {@link WasmModel} may run concurrently on different threads. The calling thread's stack
 * must be comfortably larger than {@link SandboxLimits#maxWasmStackBytes()} (JVM threads default to 1 MiB).
 */
@PublicEvolving
public final class ModelInstance implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelInstance.class);

    private final CompiledModule compiled;
    private final ModelMetadata metadata;
    // Starts a fresh live instance of the module's kind (ABI v1 or tvm-standalone).
    private final Supplier<LiveInstance> starter;
    private LiveInstance sandbox;
    private boolean inCall;
    private boolean closed;
    // Written by the owning thread only; volatile so metric reporters on other threads read them without ever
    // touching native objects.
    private volatile long restarts;
    private volatile long memoryBytes;

    ModelInstance(CompiledModule compiled, ModelMetadata metadata, Supplier<LiveInstance> starter) {
        this.compiled = compiled.retain();
        this.metadata = metadata;
        this.starter = starter;
        try {
            this.sandbox = starter.get();
            this.memoryBytes = sandbox.memoryBytes();
        } catch (RuntimeException | Error e) {
            compiled.release();
            throw e;
        }
    }

    public ModelMetadata metadata() {
        return metadata;
    }

    /**
     * Runs one batch whose inputs are the given tensors, in metadata order, each of shape
     * {@code [batch, ...spec.shape]}; returns the outputs in metadata order with shape {@code [batch, ...]}.
     */
    public List<Tensor> run(List<Tensor> inputs) {
        if (inputs.size() != metadata.inputs().size()) {
            throw new InvalidInputException("model " + metadata.id() + " takes " + metadata.inputs().size()
                    + " inputs " + metadata.inputs() + ", got " + inputs.size());
        }
        int batch = inputs.get(0).rank() > 0 ? inputs.get(0).dim(0) : 0;
        for (int i = 0; i < inputs.size(); i++) {
            TensorSpec spec = metadata.inputs().get(i);
            Tensor t = inputs.get(i);
            int[] expected = batchShape(spec, batch);
            if (t.dtype() != spec.dtype() || !Arrays.equals(t.shape(), expected)) {
                throw new InvalidInputException("input '" + spec.name() + "' of model " + metadata.id()
                        + " must be " + spec.dtype() + " " + Arrays.toString(expected) + ", got " + t.dtype() + " "
                        + Arrays.toString(t.shape()));
            }
        }
        return run(batch, (index, spec, target) -> target.put(inputs.get(index).buffer()));
    }

    /**
     * Runs one batch of {@code batchSize} samples: {@code writer} fills each input straight into wasm memory.
     *
     * @return the outputs in metadata order, each of shape {@code [batchSize, ...spec.shape]}
     * @throws InvalidInputException when the batch size is outside 1..max_batch, the writer wrote the wrong number
     *     of bytes, or the model returned INVALID_INPUT (the instance stays usable)
     * @throws WasmInferenceException of another kind when the model failed; the instance is replaced
     */
    public List<Tensor> run(int batchSize, BatchWriter writer) {
        if (closed) {
            throw new IllegalStateException("model instance " + metadata.id() + " is closed");
        }
        if (inCall) {
            throw new IllegalStateException("model instance " + metadata.id()
                    + " is already running a batch: instances are not thread-safe, use one per thread");
        }
        if (batchSize < 1 || batchSize > metadata.maxBatch()) {
            throw new InvalidInputException("batch of " + batchSize + " samples is outside 1.." + metadata.maxBatch()
                    + ", the largest batch model " + metadata.id() + " accepts");
        }
        inCall = true;
        try {
            LiveInstance s = sandbox();
            List<Tensor> out = s.run(batchSize, writer);
            memoryBytes = s.memoryBytes();
            return out;
        } catch (WasmInferenceException e) {
            if (e.kind().instanceReplaced()) {
                discardSandbox(e);
            }
            throw e;
        } finally {
            inCall = false;
        }
    }

    static int[] batchShape(TensorSpec spec, int batch) {
        int[] dims = spec.shape().dims();
        int[] out = new int[dims.length + 1];
        out[0] = batch;
        System.arraycopy(dims, 0, out, 1, dims.length);
        return out;
    }

    private LiveInstance sandbox() {
        if (sandbox == null) {
            sandbox = starter.get();
            memoryBytes = sandbox.memoryBytes();
            restarts++;
            LOG.info("Model {}: created a fresh instance (restart #{})", metadata.id(), restarts);
        }
        return sandbox;
    }

    private void discardSandbox(WasmInferenceException cause) {
        if (sandbox != null) {
            LOG.warn("Model {}: discarding instance after {}: {}", metadata.id(), cause.kind(), cause.getMessage());
            LiveInstance s = sandbox;
            sandbox = null;
            memoryBytes = 0;
            try {
                s.close();
            } catch (RuntimeException closeFailure) {
                // the model's failure is what the caller reports; a failed release must not replace it
                cause.addSuppressed(closeFailure);
            }
        }
    }

    /** How many times the instance was replaced after a failure; safe to read from any thread. */
    public long restarts() {
        return restarts;
    }

    /**
     * Size of the instance's linear memory in bytes after its last call (0 between a failure and the next call,
     * and once closed). Safe to read from any thread: it never touches the native store.
     */
    public long memoryBytes() {
        return memoryBytes;
    }

    public boolean isClosed() {
        return closed;
    }

    /** Frees the instance's native memory. Idempotent; every later call fails with {@link IllegalStateException}. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (inCall) {
            throw new IllegalStateException("cannot close model instance " + metadata.id() + " during a call");
        }
        closed = true;
        memoryBytes = 0;
        LiveInstance s = sandbox;
        sandbox = null;
        try {
            if (s != null) {
                s.close();
            }
        } finally {
            compiled.release();
        }
    }
}
