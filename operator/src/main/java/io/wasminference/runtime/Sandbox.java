package io.wasminference.runtime;

import io.github.kawamuray.wasmtime.Extern;
import io.github.kawamuray.wasmtime.Func;
import io.github.kawamuray.wasmtime.Instance;
import io.github.kawamuray.wasmtime.Memory;
import io.github.kawamuray.wasmtime.MemoryType;
import io.github.kawamuray.wasmtime.Store;
import io.github.kawamuray.wasmtime.Trap;
import io.github.kawamuray.wasmtime.Val;
import io.github.kawamuray.wasmtime.WasmFunctionError;
import io.wasminference.abi.ControlBlock;
import io.wasminference.abi.MemoryPlan;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.ModuleValidator.ValidatedModule;
import io.wasminference.abi.TensorSpec;
import io.wasminference.errors.ModelOutOfMemoryException;
import io.wasminference.errors.ModelProtocolException;
import io.wasminference.errors.ModelRefusedException;
import io.wasminference.errors.ModelStackOverflowException;
import io.wasminference.errors.ModelTimeoutException;
import io.wasminference.errors.ModelTrapException;
import io.wasminference.errors.WasmInferenceException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One live wasm instance: its {@link Store} and everything in it. The single owner of those native objects; after
 * {@link #close()} nothing of it is touched again (a use after dispose is a JVM crash, not an exception).
 * Not thread-safe: confined to the {@link ModelInstance} that created it.
 */
final class Sandbox implements AutoCloseable {
    private static final Val[] NO_ARGS = new Val[0];

    private final CompiledModule compiled;
    private final ValidatedModule validated;
    private final SandboxLimits limits;
    private final Store<Void> store;
    private final List<AutoCloseable> handles = new ArrayList<>();
    private Memory memory;
    // Linear memory as a buffer, fetched again after every call into the module (the only time it can grow):
    // each fetch is a JNI round trip, and a call needs the view before and after.
    private ByteBuffer view;
    private Func run;
    private int control;
    private boolean closed;

    private Sandbox(CompiledModule compiled, ValidatedModule validated, SandboxLimits limits) {
        this.compiled = compiled;
        this.validated = validated;
        this.limits = limits;
        this.store = new Store<>(null, compiled.engine().engine());
    }

    /**
     * Instantiates the module under the start-up deadline, runs {@code _initialize} and {@code wi_control}, and
     * checks the control block against the metadata.
     */
    static Sandbox create(CompiledModule compiled, ValidatedModule validated, SandboxLimits limits) {
        Sandbox s = new Sandbox(compiled, validated, limits);
        try {
            s.start();
            return s;
        } catch (RuntimeException | Error e) {
            s.close();
            throw e;
        }
    }

    private void start() {
        MemoryPlan plan = validated.memory();
        ModelMetadata meta = validated.metadata();
        // One deadline for the whole start-up: instantiation (start function), _initialize and wi_control.
        long startupEnd = System.nanoTime() + limits.startupTimeout().toNanos();
        store.setEpochDeadline(SharedEngine.deadlineTicks(limits.startupTimeout()));
        List<Extern> imports = new ArrayList<>();
        if (plan.imported()) {
            Memory host = new Memory(store, new MemoryType(plan.minPages(), plan.maxPages(), false));
            handles.add(host::dispose);
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
        handles.add(instance::dispose);
        if (!plan.imported()) {
            memory = instance.getMemory(store, ControlBlock.EXPORT_MEMORY).orElseThrow(() ->
                    new ModelRefusedException("the module exports no memory named 'memory'"));
            Memory exported = memory;
            handles.add(exported::dispose);
        }
        Func initialize = instance.getFunc(store, ControlBlock.EXPORT_INITIALIZE).orElse(null);
        if (initialize != null) {
            handles.add(initialize::dispose);
            call(initialize, "start-up (_initialize)", remainingMillis(startupEnd), limits.startupTimeout().toMillis());
        }
        Func controlFunc = instance.getFunc(store, ControlBlock.EXPORT_CONTROL).orElseThrow(() ->
                new ModelRefusedException("the module does not export " + ControlBlock.EXPORT_CONTROL));
        handles.add(controlFunc::dispose);
        run = instance.getFunc(store, ControlBlock.EXPORT_RUN).orElseThrow(() ->
                new ModelRefusedException("the module does not export " + ControlBlock.EXPORT_RUN));
        handles.add(run::dispose);
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
        ensureOpen();
        return view;
    }

    private void refreshView() {
        view = memory.buffer(store).order(ByteOrder.LITTLE_ENDIAN);
    }

    int controlAddress() {
        return control;
    }

    /** Calls {@code wi_run} under the call deadline and returns its status. */
    int run() {
        long timeout = limits.callTimeout().toMillis();
        int status = call(run, ControlBlock.EXPORT_RUN, timeout, timeout)[0].i32();
        refreshView(); // the call may have grown memory
        return status;
    }

    /** Size of linear memory after the last call into the module. */
    long memoryBytes() {
        ensureOpen();
        return view.capacity();
    }

    /**
     * @param deadlineMillis time left for this call
     * @param limitMillis the configured limit it belongs to, for the message
     */
    private Val[] call(Func f, String name, long deadlineMillis, long limitMillis) {
        ensureOpen();
        store.setEpochDeadline(SharedEngine.deadlineTicks(java.time.Duration.ofMillis(deadlineMillis)));
        long started = System.nanoTime();
        try {
            return f.call(store, NO_ARGS);
        } catch (RuntimeException e) {
            throw classify(e, name, limitMillis, started);
        }
    }

    /**
     * Maps a Wasmtime failure to a typed error. Instantiation errors carry no trap code in wasmtime-java, so a
     * failure that came after the deadline had passed is taken as the epoch interrupt: nothing else fires then.
     */
    private WasmInferenceException classify(RuntimeException e, String during, long timeoutMillis, long startedNanos) {
        String model = validated.metadata().id();
        Trap trap = e instanceof WasmFunctionError.TrapError te ? te.trap() : null;
        String text = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        boolean pastDeadline = System.nanoTime() - startedNanos >= timeoutMillis * 1_000_000L;
        if (trap == Trap.INTERRUPT || (trap == null && (text.contains("interrupt") || pastDeadline))) {
            return new ModelTimeoutException("model " + model + " did not finish " + during + " within its "
                    + timeoutMillis + " ms deadline and was interrupted. The instance is replaced. If the model is "
                    + "just slow, raise the call timeout or lower the batch size; if it never finishes, fix the model.",
                    e);
        }
        if (trap == Trap.STACK_OVERFLOW) {
            return new ModelStackOverflowException("model " + model + " overflowed the wasm stack ("
                    + (limits.maxWasmStackBytes() >> 10) + " KiB) during " + during
                    + ": runaway recursion. The instance is replaced.", e);
        }
        MemoryPlan plan = validated.memory();
        long pages = memory != null && !closed ? memory.size(store) : -1;
        // Out of memory only when the module grew its memory up to the sandbox's cap: at a maximum the module
        // declared itself (a fixed-size memory, say) a trap is the module's own, and raising the limit would not help.
        boolean grewToMax = pages >= plan.maxPages() && pages > plan.minPages();
        if (grewToMax && plan.cappedBySandbox()) {
            return new ModelOutOfMemoryException("model " + model + " trapped (" + (trap != null ? trap : e.getMessage())
                    + ") during " + during + " with its memory at the sandbox's cap of "
                    + MemoryPlan.describePages(plan.maxPages()) + ". The instance is replaced. Raise the memory "
                    + "limit if the model legitimately needs more, or lower the batch size.", e);
        }
        String memoryNote = "";
        if (grewToMax) {
            memoryNote = " Its memory had grown to the module's own declared maximum of "
                    + MemoryPlan.describePages(plan.maxPages()) + ", where memory.grow fails: if it ran out of "
                    + "memory, declare a larger maximum (within the sandbox's cap).";
        } else if (trap == Trap.UNREACHABLE_CODE_REACHED && pages >= 0) {
            // What a C or Rust module does when an allocation fails: memory.grow returned -1 because the request
            // was larger than what is left below the maximum, and the module aborted.
            memoryNote = " Its memory was " + MemoryPlan.describePages(pages) + " of the "
                    + MemoryPlan.describePages(plan.maxPages()) + " it may grow to (" + (plan.cappedBySandbox()
                            ? "the sandbox's cap" : "its own declared maximum") + "); memory.grow returns -1 for a "
                    + "request larger than what is left, so if this followed a failed allocation, raise the "
                    + (plan.cappedBySandbox() ? "memory limit" : "module's maximum") + " or lower the batch size.";
        }
        String code = trap != null ? trap.name() : "UNKNOWN";
        return new ModelTrapException(code, "model " + model + " trapped during " + during + ": "
                + (trap != null ? trap : e.getMessage()) + ". The instance is replaced." + memoryNote, e);
    }

    private static ModelRefusedException refused(ModelMetadata meta, String detail) {
        return new ModelRefusedException("model " + meta.id() + " violates ABI v1: " + detail + " (docs/abi.md §4)");
    }

    ModelProtocolException protocol(String detail) {
        return new ModelProtocolException("model " + validated.metadata().id() + " broke ABI v1: "
                + detail + ". The instance is replaced (docs/abi.md §5).");
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("sandbox already closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        // Handles first (they point into the store), then the store that owns them all.
        for (int i = handles.size() - 1; i >= 0; i--) {
            try {
                handles.get(i).close();
            } catch (Exception ignored) {
                // a handle that cannot be disposed is freed with its store
            }
        }
        handles.clear();
        memory = null;
        view = null;
        run = null;
        store.dispose();
    }
}
