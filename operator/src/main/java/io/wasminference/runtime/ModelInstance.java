package io.wasminference.runtime;

import io.wasminference.abi.ControlBlock;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.ModuleValidator.ValidatedModule;
import io.wasminference.abi.Status;
import io.wasminference.abi.TensorSpec;
import io.wasminference.errors.InvalidInputException;
import io.wasminference.errors.ModelErrorException;
import io.wasminference.errors.WasmInferenceException;
import io.wasminference.tensor.Tensor;
import org.apache.flink.annotation.PublicEvolving;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One sandboxed instance of a model: runs batches through {@code wi_run} (docs/abi.md §5).
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
    private final ValidatedModule validated;
    private final SandboxLimits limits;
    private final ModelMetadata metadata;
    private Sandbox sandbox;
    private boolean inCall;
    private boolean closed;
    // Written by the owning thread only; volatile so metric reporters on other threads read them without ever
    // touching native objects.
    private volatile long restarts;
    private volatile long memoryBytes;

    ModelInstance(CompiledModule compiled, ValidatedModule validated, SandboxLimits limits) {
        this.compiled = compiled.retain();
        this.validated = validated;
        this.limits = limits;
        this.metadata = validated.metadata();
        try {
            this.sandbox = Sandbox.create(compiled, validated, limits);
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
            Sandbox s = sandbox();
            List<Tensor> out = runIn(s, batchSize, writer);
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

    private List<Tensor> runIn(Sandbox s, int batch, BatchWriter writer) {
        int nIn = metadata.inputs().size();
        int nOut = metadata.outputs().size();
        int control = s.controlAddress();
        ByteBuffer mem = s.memory();
        for (int i = 0; i < nIn; i++) {
            TensorSpec spec = metadata.inputs().get(i);
            int bytes = batchBytes(spec, batch);
            int ptr = checkedSlot(s, mem, i, bytes, spec);
            ByteBuffer window = mem.duplicate();
            window.limit(ptr + bytes).position(ptr);
            TensorWriter target = new TensorWriter(window.slice());
            try {
                writer.write(i, spec, target);
                if (target.remaining() != 0) {
                    throw new InvalidInputException("input '" + spec.name() + "' of model " + metadata.id()
                            + ": " + target.position() + " of " + bytes + " bytes written for a batch of " + batch);
                }
            } catch (java.nio.BufferOverflowException e) {
                throw new InvalidInputException("input '" + spec.name() + "' of model " + metadata.id()
                        + ": more than " + bytes + " bytes written for a batch of " + batch, e);
            } finally {
                target.invalidate();
            }
            mem.putInt(control + ControlBlock.slotOffset(i) + ControlBlock.SLOT_LENGTH, bytes);
        }
        for (int o = 0; o < nOut; o++) {
            mem.putInt(control + ControlBlock.slotOffset(nIn + o) + ControlBlock.SLOT_LENGTH, 0);
        }
        mem.putInt(control + ControlBlock.OFF_BATCH, batch);

        int code = s.run();

        mem = s.memory(); // the call may have grown memory: a new view
        Status status = Status.of(code);
        if (status != Status.OK) {
            // docs/abi.md §5: the status -> error kind table.
            String message = moduleMessage(mem, control);
            String said = message.isEmpty() ? "" : ": " + message;
            if (status == Status.INVALID_INPUT) {
                throw new InvalidInputException("model " + metadata.id() + " rejected the input (status INVALID_INPUT)"
                        + said);
            }
            if (status == Status.INTERNAL_ERROR) {
                throw new ModelErrorException("model " + metadata.id() + " reported a failure (status INTERNAL_ERROR)"
                        + said + ". The instance is replaced.");
            }
            if (status == Status.INVALID_BATCH) {
                throw s.protocol("wi_run returned status 1 (INVALID_BATCH) for a batch of " + batch + ", within the "
                        + "1.." + metadata.maxBatch() + " its metadata accepts" + said);
            }
            throw s.protocol("wi_run returned status " + Integer.toUnsignedString(code) + " (undefined; ABI v1 "
                    + "defines 0 to 3)" + said);
        }
        List<Tensor> outputs = new ArrayList<>(nOut);
        for (int o = 0; o < nOut; o++) {
            TensorSpec spec = metadata.outputs().get(o);
            int bytes = batchBytes(spec, batch);
            int slot = nIn + o;
            int ptr = checkedSlot(s, mem, slot, bytes, spec);
            int written = mem.getInt(control + ControlBlock.slotOffset(slot) + ControlBlock.SLOT_LENGTH);
            if (written != bytes) {
                throw s.protocol("output '" + spec.name() + "' has length " + Integer.toUnsignedString(written)
                        + " after wi_run returned OK, expected " + bytes + " (" + batch + " samples of " + spec
                        + "); the module must write every output and set its length");
            }
            byte[] data = new byte[bytes];
            mem.get(ptr, data);
            outputs.add(Tensor.wrap(spec.dtype(), batchShape(spec, batch), data));
        }
        return outputs;
    }

    private int checkedSlot(Sandbox s, ByteBuffer mem, int slot, int bytes, TensorSpec spec) {
        String problem = s.slotProblem(mem, slot, bytes);
        if (problem != null) {
            throw s.protocol("the buffer of '" + spec.name() + "' changed: " + problem);
        }
        return mem.getInt(s.controlAddress() + ControlBlock.slotOffset(slot) + ControlBlock.SLOT_PTR);
    }

    private static String moduleMessage(ByteBuffer mem, int control) {
        long ptr = Integer.toUnsignedLong(mem.getInt(control + ControlBlock.OFF_MSG_PTR));
        long len = Math.min(Integer.toUnsignedLong(mem.getInt(control + ControlBlock.OFF_MSG_LEN)),
                ControlBlock.MAX_MESSAGE_BYTES);
        if (ptr == 0 || len == 0 || ptr + len > mem.capacity()) {
            return "";
        }
        byte[] b = new byte[(int) len];
        mem.get((int) ptr, b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private static int batchBytes(TensorSpec spec, int batch) {
        return Math.toIntExact(spec.sampleBytes() * batch);
    }

    private static int[] batchShape(TensorSpec spec, int batch) {
        int[] dims = spec.shape().dims();
        int[] out = new int[dims.length + 1];
        out[0] = batch;
        System.arraycopy(dims, 0, out, 1, dims.length);
        return out;
    }

    private Sandbox sandbox() {
        if (sandbox == null) {
            sandbox = Sandbox.create(compiled, validated, limits);
            memoryBytes = sandbox.memoryBytes();
            restarts++;
            LOG.info("Model {}: created a fresh instance (restart #{})", metadata.id(), restarts);
        }
        return sandbox;
    }

    private void discardSandbox(WasmInferenceException cause) {
        if (sandbox != null) {
            LOG.warn("Model {}: discarding instance after {}: {}", metadata.id(), cause.kind(), cause.getMessage());
            Sandbox s = sandbox;
            sandbox = null;
            memoryBytes = 0;
            s.close();
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
        Sandbox s = sandbox;
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
