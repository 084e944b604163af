package io.wasminference.runtime;

import io.github.kawamuray.wasmtime.Extern;
import io.github.kawamuray.wasmtime.Func;
import io.github.kawamuray.wasmtime.Instance;
import io.github.kawamuray.wasmtime.Memory;
import io.github.kawamuray.wasmtime.MemoryType;
import io.github.kawamuray.wasmtime.Store;
import io.github.kawamuray.wasmtime.Val;
import io.wasminference.abi.ControlBlock;
import io.wasminference.abi.MemoryPlan;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.ModuleValidator.ValidatedModule;
import io.wasminference.abi.Status;
import io.wasminference.abi.TensorSpec;
import io.wasminference.errors.InvalidInputException;
import io.wasminference.errors.ModelErrorException;
import io.wasminference.errors.ModelProtocolException;
import io.wasminference.errors.ModelRefusedException;
import io.wasminference.errors.WasmInferenceException;
import io.wasminference.tensor.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One live wasm instance: its {@link Store} and everything in it, owned through one {@link StoreHandles}; after
 * {@link #close()} nothing of it is touched again (a use after dispose is a JVM crash, not an exception).
 * Not thread-safe: confined to the {@link ModelInstance} that created it.
 */
final class Sandbox implements LiveInstance {
    private static final Val[] NO_ARGS = new Val[0];

    private final CompiledModule compiled;
    private final ValidatedModule validated;
    private final SandboxLimits limits;
    private final StoreHandles<Store<Void>> handles;
    private Memory memory;
    // Linear memory as a buffer, fetched again after every call into the module (the only time it can grow):
    // each fetch is a JNI round trip, and a call needs the view before and after.
    private ByteBuffer view;
    private Func run;
    private int control;

    private Sandbox(CompiledModule compiled, ValidatedModule validated, SandboxLimits limits) {
        this.compiled = compiled;
        this.validated = validated;
        this.limits = limits;
        this.handles = StoreHandles.open("the sandbox of model " + validated.metadata().id(),
                compiled.engine().engine());
    }

    /**
     * Instantiates the module under the start-up deadline, runs {@code _initialize} and {@code wi_control}, and
     * checks the control block against the metadata.
     */
    static Sandbox create(CompiledModule compiled, ValidatedModule validated, SandboxLimits limits) {
        Sandbox s = new Sandbox(compiled, validated, limits);
        s.handles.closeIfFails(s::start);
        return s;
    }

    private void start() {
        MemoryPlan plan = validated.memory();
        ModelMetadata meta = validated.metadata();
        // One deadline for the whole start-up: instantiation (start function), _initialize and wi_control.
        long startupEnd = System.nanoTime() + limits.startupTimeout().toNanos();
        Store<Void> store = handles.store();
        store.setEpochDeadline(SharedEngine.deadlineTicks(limits.startupTimeout()));
        List<Extern> imports = new ArrayList<>();
        if (plan.imported()) {
            Memory host = handles.register(new Memory(store, new MemoryType(plan.minPages(), plan.maxPages(), false)));
            imports.add(Extern.fromMemory(host));
            memory = host;
        }
        Instance instance;
        long started = System.nanoTime();
        try {
            instance = new Instance(store, compiled.module(), imports);
        } catch (RuntimeException e) {
            // Without a start function, instantiation only copies data and element segments into memory and table.
            throw classify(e, validated.binary().hasStartFunction() ? "instantiation (start function)"
                    : "instantiation (data and element segments)", limits.startupTimeout().toMillis(), started);
        }
        handles.register(instance);
        if (!plan.imported()) {
            memory = handles.register(instance.getMemory(store, ControlBlock.EXPORT_MEMORY).orElseThrow(() ->
                    new ModelRefusedException("the module exports no memory named 'memory'")));
        }
        Func initialize = instance.getFunc(store, ControlBlock.EXPORT_INITIALIZE).orElse(null);
        if (initialize != null) {
            handles.register(initialize);
            call(initialize, "start-up (_initialize)", remainingMillis(startupEnd), limits.startupTimeout().toMillis());
        }
        Func controlFunc = handles.register(instance.getFunc(store, ControlBlock.EXPORT_CONTROL).orElseThrow(() ->
                new ModelRefusedException("the module does not export " + ControlBlock.EXPORT_CONTROL)));
        run = handles.register(instance.getFunc(store, ControlBlock.EXPORT_RUN).orElseThrow(() ->
                new ModelRefusedException("the module does not export " + ControlBlock.EXPORT_RUN)));
        Val[] result = call(controlFunc, "start-up (" + ControlBlock.EXPORT_CONTROL + ")", remainingMillis(startupEnd),
                limits.startupTimeout().toMillis());
        control = result[0].i32();
        refreshView();
        checkControlBlock(meta);
    }

    private static long remainingMillis(long endNanos) {
        return Math.max(1, (endNanos - System.nanoTime()) / 1_000_000);
    }

    private void checkControlBlock(ModelMetadata meta) {
        ByteBuffer mem = memory();
        int slots = meta.inputs().size() + meta.outputs().size();
        long end = Integer.toUnsignedLong(control) + ControlBlock.size(slots);
        if (end > mem.capacity() || control < 0) {
            throw refused(meta, "wi_control() returned address " + Integer.toUnsignedString(control)
                    + ", but a control block of " + ControlBlock.size(slots) + " bytes does not fit in "
                    + mem.capacity() + " bytes of memory");
        }
        int magic = mem.getInt(control + ControlBlock.OFF_MAGIC);
        if (magic != ControlBlock.MAGIC) {
            throw refused(meta, String.format(Locale.ROOT,
                    "the control block at %d starts with 0x%08x, not the magic 0x%08x ('WCB1')", control, magic,
                    ControlBlock.MAGIC));
        }
        int abi = mem.getInt(control + ControlBlock.OFF_ABI);
        if (abi != ControlBlock.ABI_VERSION) {
            throw refused(meta, "the control block says ABI " + abi + ", the metadata says ABI 1");
        }
        int nIn = mem.getInt(control + ControlBlock.OFF_N_INPUTS);
        int nOut = mem.getInt(control + ControlBlock.OFF_N_OUTPUTS);
        if (nIn != meta.inputs().size() || nOut != meta.outputs().size()) {
            throw refused(meta, "the control block declares " + nIn + " inputs and " + nOut
                    + " outputs, the metadata " + meta.inputs().size() + " and " + meta.outputs().size());
        }
        for (int slot = 0; slot < slots; slot++) {
            TensorSpec spec = spec(meta, slot);
            long needed = spec.sampleBytes() * meta.maxBatch();
            String problem = slotProblem(mem, slot, needed);
            if (problem != null) {
                throw refused(meta, (slot < nIn ? "input '" : "output '") + spec.name() + "' (" + spec + "): "
                        + problem + " at max_batch " + meta.maxBatch()
                        + ". The metadata promises more than the module's buffers hold: fix max_batch or the shape, "
                        + "or enlarge the buffer");
            }
        }
    }

    /** Null when the slot's buffer lies in memory and holds {@code needed} bytes, else what is wrong. */
    String slotProblem(ByteBuffer mem, int slot, long needed) {
        int at = control + ControlBlock.slotOffset(slot);
        long ptr = Integer.toUnsignedLong(mem.getInt(at + ControlBlock.SLOT_PTR));
        long capacity = Integer.toUnsignedLong(mem.getInt(at + ControlBlock.SLOT_CAPACITY));
        if (ptr + capacity > mem.capacity()) {
            return "its buffer [" + ptr + ", " + (ptr + capacity) + ") lies outside the " + mem.capacity()
                    + " bytes of linear memory";
        }
        if (capacity < needed) {
            return "its buffer holds " + capacity + " bytes but " + needed + " are needed";
        }
        return null;
    }

    static TensorSpec spec(ModelMetadata meta, int slot) {
        int nIn = meta.inputs().size();
        return slot < nIn ? meta.inputs().get(slot) : meta.outputs().get(slot - nIn);
    }

    /** A little-endian view of all of linear memory as of the last call into the module. */
    ByteBuffer memory() {
        handles.checkOpen();
        return view;
    }

    private void refreshView() {
        view = memory.buffer(handles.store()).order(ByteOrder.LITTLE_ENDIAN);
    }

    int controlAddress() {
        return control;
    }

    /** Runs one batch through {@code wi_run} (docs/abi.md §5): inputs straight into the module's buffers. */
    @Override
    public List<Tensor> run(int batch, BatchWriter writer) {
        ModelMetadata metadata = validated.metadata();
        int nIn = metadata.inputs().size();
        int nOut = metadata.outputs().size();
        int control = controlAddress();
        ByteBuffer mem = memory();
        for (int i = 0; i < nIn; i++) {
            TensorSpec spec = metadata.inputs().get(i);
            int bytes = batchBytes(spec, batch);
            int ptr = checkedSlot(mem, i, bytes, spec);
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

        int code = callRun();

        mem = memory(); // the call may have grown memory: a new view
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
                throw protocol("wi_run returned status 1 (INVALID_BATCH) for a batch of " + batch + ", within the "
                        + "1.." + metadata.maxBatch() + " its metadata accepts" + said);
            }
            throw protocol("wi_run returned status " + Integer.toUnsignedString(code) + " (undefined; ABI v1 "
                    + "defines 0 to 3)" + said);
        }
        List<Tensor> outputs = new ArrayList<>(nOut);
        for (int o = 0; o < nOut; o++) {
            TensorSpec spec = metadata.outputs().get(o);
            int bytes = batchBytes(spec, batch);
            int slot = nIn + o;
            int ptr = checkedSlot(mem, slot, bytes, spec);
            int written = mem.getInt(control + ControlBlock.slotOffset(slot) + ControlBlock.SLOT_LENGTH);
            if (written != bytes) {
                throw protocol("output '" + spec.name() + "' has length " + Integer.toUnsignedString(written)
                        + " after wi_run returned OK, expected " + bytes + " (" + batch + " samples of " + spec
                        + "); the module must write every output and set its length");
            }
            byte[] data = new byte[bytes];
            mem.get(ptr, data);
            outputs.add(Tensor.wrap(spec.dtype(), ModelInstance.batchShape(spec, batch), data));
        }
        return outputs;
    }

    private int checkedSlot(ByteBuffer mem, int slot, int bytes, TensorSpec spec) {
        String problem = slotProblem(mem, slot, bytes);
        if (problem != null) {
            throw protocol("the buffer of '" + spec.name() + "' changed: " + problem);
        }
        return mem.getInt(controlAddress() + ControlBlock.slotOffset(slot) + ControlBlock.SLOT_PTR);
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

    /** Calls {@code wi_run} under the call deadline and returns its status. */
    private int callRun() {
        long timeout = limits.callTimeout().toMillis();
        int status = call(run, ControlBlock.EXPORT_RUN, timeout, timeout)[0].i32();
        refreshView(); // the call may have grown memory
        return status;
    }

    /** Size of linear memory after the last call into the module. */
    @Override
    public long memoryBytes() {
        handles.checkOpen();
        return view.capacity();
    }

    /**
     * @param deadlineMillis time left for this call
     * @param limitMillis the configured limit it belongs to, for the message
     */
    private Val[] call(Func f, String name, long deadlineMillis, long limitMillis) {
        Store<Void> store = handles.store();
        store.setEpochDeadline(SharedEngine.deadlineTicks(java.time.Duration.ofMillis(deadlineMillis)));
        long started = System.nanoTime();
        try {
            return f.call(store, NO_ARGS);
        } catch (RuntimeException e) {
            throw classify(e, name, limitMillis, started);
        }
    }

    /** Maps a Wasmtime failure to a typed error ({@link Failures#classify}). */
    private WasmInferenceException classify(RuntimeException e, String during, long timeoutMillis, long startedNanos) {
        long pages = memory != null && !handles.isClosed() ? memory.size(handles.store()) : -1;
        return Failures.classify(e, validated.metadata().id(), during, timeoutMillis, startedNanos, validated.memory(),
                pages, limits.maxWasmStackBytes());
    }

    private static ModelRefusedException refused(ModelMetadata meta, String detail) {
        return new ModelRefusedException("model " + meta.id() + " violates ABI v1: " + detail + " (docs/abi.md §4)");
    }

    ModelProtocolException protocol(String detail) {
        return new ModelProtocolException("model " + validated.metadata().id() + " broke ABI v1: "
                + detail + ". The instance is replaced (docs/abi.md §5).");
    }

    @Override
    public void close() {
        memory = null;
        view = null;
        run = null;
        handles.close(); // the handles, then the store
    }
}
