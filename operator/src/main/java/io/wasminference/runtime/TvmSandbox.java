package io.wasminference.runtime;

import io.github.kawamuray.wasmtime.Caller;
import io.github.kawamuray.wasmtime.Extern;
import io.github.kawamuray.wasmtime.Func;
import io.github.kawamuray.wasmtime.FuncType;
import io.github.kawamuray.wasmtime.Instance;
import io.github.kawamuray.wasmtime.Memory;
import io.github.kawamuray.wasmtime.Store;
import io.github.kawamuray.wasmtime.Val;
import io.wasminference.abi.MemoryPlan;
import io.wasminference.abi.TensorSpec;
import io.wasminference.abi.WasmBinary;
import io.wasminference.errors.InvalidInputException;
import io.wasminference.errors.ModelErrorException;
import io.wasminference.errors.ModelOutOfMemoryException;
import io.wasminference.errors.ModelProtocolException;
import io.wasminference.errors.ModelRefusedException;
import io.wasminference.errors.ModelTrapException;
import io.wasminference.errors.WasmInferenceException;
import io.wasminference.tensor.Tensor;
import io.wasminference.tvm.ModuleOutput;
import io.wasminference.tvm.TensorJson;
import io.wasminference.tvm.TvmModule;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One live instance of a seed-style module (docs/tvm-standalone.md): the seed's JSON contract behind the same
 * batch interface as ABI v1, so the operator batches as usual. A batch is a loop of one {@code run} per sample on
 * this instance, under one deadline for the whole batch (the call timeout), through one I/O region grown once at
 * start-up at the end of memory and reused (the seed's host grew memory on every call, and leaked it).
 *
 * <p>The module's WASI imports are host stubs and nothing else ({@link TvmModule#WASI_IMPORTS}): {@code fd_write}
 * to fds 1 and 2 goes to a bounded, rate-limited log ({@link ModuleOutput}), other fds get {@code EBADF};
 * {@code environ_*} report an empty environment; {@code random_get} fills from a generator seeded with
 * {@link #RANDOM_SEED} (the same bytes in every instance: a model has no business with real entropy);
 * {@code proc_exit(code)} ends the call as a trap that names the code.
 *
 * <p>Start-up instantiates the module (start function), calls {@code _initialize} if exported, runs one warm-up
 * sample of zeros and grows the I/O region, all under the start-up deadline: the seed's first call runs the
 * module's constructors and loads its graph and parameters, which belongs to loading, not to the first batch's
 * deadline; and the region must be grown after the module's allocator exists ({@link #warmUp}).
 *
 * <p>Not thread-safe: confined to its {@link ModelInstance}. The single owner of its store and everything in it,
 * through one {@link StoreHandles}.
 */
final class TvmSandbox implements LiveInstance {
    /** Seed of the generator behind {@code random_get}. */
    static final long RANDOM_SEED = 0x7476_6d2d_7365_6564L; // "tvm-seed"

    /** Least heap given to the module's first call below the warm-up's tensor JSON (see {@link #warmUp}). */
    static final long SLACK_PAGES = 16;

    private static final int WASI_ESUCCESS = 0;
    private static final int WASI_EBADF = 8;
    private static final int WASI_EFAULT = 21;

    private final CompiledModule compiled;
    private final TvmModule module;
    private final SandboxLimits limits;
    private final String modelId;
    private final TensorJson json;
    private final ModuleOutput output;
    private final SplittableRandom random = new SplittableRandom(RANDOM_SEED);
    private final StoreHandles<Store<Void>> handles;
    private final byte[] staging;
    private Memory memory;
    private ByteBuffer view;
    private Func run;
    private int region;
    private Integer exitCode;

    private TvmSandbox(CompiledModule compiled, TvmModule module, SandboxLimits limits) {
        this.compiled = compiled;
        this.module = module;
        this.limits = limits;
        this.modelId = module.metadata().model().id();
        this.json = new TensorJson(module.metadata());
        this.output = new ModuleOutput(modelId);
        this.staging = new byte[json.inputBytes() * module.metadata().model().maxBatch()];
        this.handles = StoreHandles.open("the tvm-standalone sandbox of model " + modelId,
                compiled.engine().engine());
    }

    static TvmSandbox create(CompiledModule compiled, TvmModule module, SandboxLimits limits) {
        TvmSandbox s = new TvmSandbox(compiled, module, limits);
        s.handles.closeIfFails(s::start);
        return s;
    }

    private void start() {
        long startupMillis = limits.startupTimeout().toMillis();
        long end = System.nanoTime() + limits.startupTimeout().toNanos();
        Store<Void> store = handles.store();
        store.setEpochDeadline(SharedEngine.deadlineTicks(limits.startupTimeout()));
        List<Extern> imports = new ArrayList<>();
        for (WasmBinary.Import imp : module.binary().imports()) {
            Func f = handles.register(stub(imp.name()));
            imports.add(Extern.fromFunc(f));
        }
        Instance instance;
        long started = System.nanoTime();
        try {
            instance = new Instance(store, compiled.module(), imports);
        } catch (RuntimeException e) {
            throw classify(e, module.binary().hasStartFunction() ? "instantiation (start function)"
                    : "instantiation (data and element segments)", startupMillis, started);
        }
        handles.register(instance);
        if (memory == null) { // else a host call during instantiation already fetched it (memoryOf)
            memory = handles.register(instance.getMemory(store, "memory").orElseThrow(() ->
                    new ModelRefusedException("the module exports no memory named 'memory'")));
        }
        Func initialize = instance.getFunc(store, "_initialize").orElse(null);
        if (initialize != null) {
            handles.register(initialize);
            call(initialize, new Val[0], "start-up (_initialize)", remaining(end), startupMillis);
        }
        run = handles.register(instance.getFunc(store, TvmModule.EXPORT_RUN).orElseThrow(() ->
                new ModelRefusedException("the module does not export 'run'")));
        warmUp(end, startupMillis);
        region = grow(regionPages(), "the I/O region for one sample's tensor JSON");
        refreshView();
    }

    /**
     * The first call, under the start-up deadline: it runs the module's constructors and loads its parameters.
     *
     * <p>Where its tensor JSON goes matters. wasi-libc's malloc (the one Rust std uses on wasm32-wasi) takes all
     * memory from {@code __heap_base} up to {@code memory.size()} as its heap when it initializes, in the module's
     * first allocation, i.e. in this call: a region grown before it becomes heap, and the module writing its output
     * JSON there overwrites its own data (measured with digits-mlp: the output of a first call in a region grown
     * just before it overwrote part of the weights, and later samples with ink in those pixels came out as 1e30;
     * the seed's own host, growing a fresh region before every call, has the same flaw on its first call). So the
     * warm-up JSON goes at the top of a larger block, {@link #SLACK_PAGES} or twice the module's data, whichever is
     * more, that the allocator fills from the bottom; if the module's memory grew during the call, its heap
     * outgrew the block and may have reached the JSON, and start-up fails rather than serve from a damaged
     * instance. The block stays the module's heap. The region every later call reuses is grown after this call,
     * when the allocator gets new memory only through {@code memory.grow}, beyond that region.
     */
    private void warmUp(long endNanos, long startupMillis) {
        long dataBytes = module.binary().footprint().dataSegments().stream()
                .mapToLong(WasmBinary.DataSegment::length).sum();
        long slack = Math.max(SLACK_PAGES, (2 * dataBytes + MemoryPlan.PAGE_BYTES - 1) / MemoryPlan.PAGE_BYTES);
        long regionPages = regionPages();
        int block = grow(slack + regionPages, "the warm-up block (" + MemoryPlan.describePages(slack)
                + " of heap for the module's first call, then one sample's tensor JSON)");
        region = Math.toIntExact(block + slack * MemoryPlan.PAGE_BYTES);
        long pagesBefore = memory.size(handles.store());
        refreshView();
        byte[] ignored = new byte[json.outputBytes()];
        runOne(0, new byte[json.inputBytes()], ignored, 0, endNanos, startupMillis,
                "start-up (the first run, on a sample of zeros)");
        long grown = memory.size(handles.store()) - pagesBefore;
        if (grown > 0) {
            throw new ModelOutOfMemoryException("model " + modelId + " grew its memory by "
                    + MemoryPlan.describePages(grown) + " in its first run, past the "
                    + MemoryPlan.describePages(slack) + " of heap the adapter gives that call below its I/O region: "
                    + "its heap may have reached the region (docs/tvm-standalone.md, 'memory'). Start-up refused.");
        }
    }

    private long regionPages() {
        long bytes = Math.max(json.maxInputLength(), json.maxOutputLength());
        return (bytes + MemoryPlan.PAGE_BYTES - 1) / MemoryPlan.PAGE_BYTES;
    }

    /** Grows memory by {@code pages}; returns the address of the first new byte. */
    private int grow(long pages, String what) {
        int before;
        try {
            before = memory.grow(handles.store(), pages);
        } catch (RuntimeException e) {
            before = -1;
        }
        if (before < 0) {
            throw new ModelOutOfMemoryException("model " + modelId + ": " + what + ", "
                    + MemoryPlan.describePages(pages) + ", does not fit under the memory cap of "
                    + MemoryPlan.describePages(module.memory().maxPages()) + " after the module's "
                    + MemoryPlan.describePages(memory.size(handles.store())) + ". Raise the memory limit.");
        }
        return Math.toIntExact(before * MemoryPlan.PAGE_BYTES);
    }

    @Override
    public List<Tensor> run(int batch, BatchWriter writer) {
        handles.checkOpen();
        TensorSpec in = module.metadata().input();
        TensorSpec out = module.metadata().output();
        int inBytes = json.inputBytes();
        TensorWriter target = new TensorWriter(ByteBuffer.wrap(staging, 0, batch * inBytes).slice());
        try {
            writer.write(0, in, target);
            if (target.remaining() != 0) {
                throw new InvalidInputException("input '" + in.name() + "' of model " + modelId + ": "
                        + target.position() + " of " + batch * inBytes + " bytes written for a batch of " + batch);
            }
        } catch (java.nio.BufferOverflowException e) {
            throw new InvalidInputException("input '" + in.name() + "' of model " + modelId + ": more than "
                    + batch * inBytes + " bytes written for a batch of " + batch, e);
        } finally {
            target.invalidate();
        }
        byte[] result = new byte[batch * json.outputBytes()];
        long timeoutMillis = limits.callTimeout().toMillis();
        long end = System.nanoTime() + limits.callTimeout().toNanos();
        for (int i = 0; i < batch; i++) {
            runOne(i * inBytes, staging, result, i * json.outputBytes(), end, timeoutMillis,
                    "run (sample " + i + " of a batch of " + batch + ")");
        }
        return List.of(Tensor.wrap(out.dtype(), ModelInstance.batchShape(out, batch), result));
    }

    /** One {@code run}: input JSON into the region, the call, the output JSON read back. */
    private void runOne(int inOffset, byte[] in, byte[] out, int outOffset, long endNanos, long limitMillis,
            String during) {
        int length = json.writeInput(view, region, in, inOffset);
        Val[] r = call(run, new Val[] {Val.fromI32(region), Val.fromI32(length)}, during, remaining(endNanos),
                limitMillis);
        int returned = r[0].i32();
        ByteBuffer mem = view;
        if (returned == 0) {
            String said = output.tail().isEmpty() ? "" : "; it wrote: " + output.tail();
            throw new ModelErrorException("model " + modelId + " returned 0 (failure) from " + during + said
                    + ". The instance is replaced.");
        }
        if (returned < 0 || region + (long) returned > mem.capacity()) {
            throw protocol("run returned length " + Integer.toUnsignedString(returned) + " during " + during
                    + ", but the output JSON at " + region + " would end at " + (region + Integer.toUnsignedLong(
                            returned)) + ", past the end of its " + mem.capacity() + " bytes of memory");
        }
        try {
            json.readOutput(mem, region, returned, out, outOffset);
        } catch (IllegalArgumentException e) {
            throw protocol(e.getMessage() + " (run returned length " + returned + " during " + during + ")");
        }
    }

    private Val[] call(Func f, Val[] args, String during, long deadlineMillis, long limitMillis) {
        Store<Void> store = handles.store();
        store.setEpochDeadline(SharedEngine.deadlineTicks(Duration.ofMillis(deadlineMillis)));
        long started = System.nanoTime();
        try {
            return f.call(store, args);
        } catch (RuntimeException e) {
            throw classify(e, during, limitMillis, started);
        } finally {
            if (!handles.isClosed() && memory != null) {
                refreshView(); // the call may have grown memory
            }
        }
    }

    private WasmInferenceException classify(RuntimeException e, String during, long timeoutMillis, long started) {
        String said = output.tail().isEmpty() ? "" : " It wrote: " + output.tail();
        if (exitCode != null) {
            return new ModelTrapException("PROC_EXIT", "model " + modelId + " called proc_exit(" + exitCode
                    + ") during " + during + ". The instance is replaced." + said, e);
        }
        long pages = memory != null && !handles.isClosed() ? memory.size(handles.store()) : -1;
        WasmInferenceException c = Failures.classify(e, modelId, during, timeoutMillis, started, module.memory(),
                pages, limits.maxWasmStackBytes());
        // A Rust panic prints its message to stderr and then traps: that message is the useful part.
        String detail = (pages >= 0 ? " Memory when it failed: " + MemoryPlan.describePages(pages) + "." : "") + said;
        return switch (c.kind()) {
            case TRAP -> new ModelTrapException(((ModelTrapException) c).trapCode(), c.getMessage() + detail, e);
            case OUT_OF_MEMORY -> new ModelOutOfMemoryException(c.getMessage() + detail, e);
            default -> c;
        };
    }

    private static long remaining(long endNanos) {
        return Math.max(1, (endNanos - System.nanoTime()) / 1_000_000);
    }

    // ---------------------------------------------------------------- WASI stubs

    private Func stub(String name) {
        FuncType type = switch (name) {
            case "fd_write" -> new FuncType(types(4), types(1));
            case "random_get", "environ_get", "environ_sizes_get" -> new FuncType(types(2), types(1));
            case "proc_exit" -> new FuncType(types(1), types(0));
            // TvmModule.check refused every other import by name before compiling.
            default -> throw new IllegalStateException("no WASI stub for " + name);
        };
        Func.Handler<Void> handler = switch (name) {
            case "fd_write" -> (caller, p, r) -> r[0] = Val.fromI32(fdWrite(caller, p[0].i32(), p[1].i32(),
                    p[2].i32(), p[3].i32()));
            case "random_get" -> (caller, p, r) -> r[0] = Val.fromI32(randomGet(caller, p[0].i32(), p[1].i32()));
            case "environ_sizes_get" -> (caller, p, r) -> r[0] = Val.fromI32(environSizes(caller, p[0].i32(),
                    p[1].i32()));
            case "environ_get" -> (caller, p, r) -> r[0] = Val.fromI32(WASI_ESUCCESS); // nothing to write
            default -> (caller, p, r) -> {
                exitCode = p[0].i32();
                throw new IllegalStateException("proc_exit(" + exitCode + ")");
            };
        };
        return new Func(handles.store(), type, handler);
    }

    private static Val.Type[] types(int n) {
        Val.Type[] t = new Val.Type[n];
        java.util.Arrays.fill(t, Val.Type.I32);
        return t;
    }

    /** Linear memory as seen from inside a host call (during instantiation the instance has no handle yet). */
    private ByteBuffer memoryOf(Caller<Void> caller) {
        if (memory == null) {
            memory = handles.register(caller.getExport("memory").map(Extern::memory).orElseThrow(() ->
                    new IllegalStateException("the module exports no memory")));
        }
        return memory.buffer(handles.store()).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static boolean inside(ByteBuffer mem, int ptr, long length) {
        return Integer.toUnsignedLong(ptr) + length <= mem.capacity();
    }

    private int fdWrite(Caller<Void> caller, int fd, int iovs, int iovsLen, int nwrittenPtr) {
        ByteBuffer mem = memoryOf(caller);
        if (fd != 1 && fd != 2) {
            return WASI_EBADF; // no files: only stdout and stderr exist
        }
        long count = Integer.toUnsignedLong(iovsLen);
        if (!inside(mem, iovs, count * 8) || !inside(mem, nwrittenPtr, 4)) {
            return WASI_EFAULT;
        }
        long total = 0;
        for (int i = 0; i < count; i++) {
            int ptr = mem.getInt(iovs + 8 * i);
            int len = mem.getInt(iovs + 8 * i + 4);
            if (!inside(mem, ptr, Integer.toUnsignedLong(len))) {
                return WASI_EFAULT;
            }
            byte[] b = new byte[Math.min(len, ModuleOutput.MAX_LINE_BYTES * 4)];
            mem.get(ptr, b);
            output.write(fd, b, 0, b.length);
            total += Integer.toUnsignedLong(len); // the rest is dropped, but reported written: no retry loop
        }
        mem.putInt(nwrittenPtr, (int) Math.min(total, Integer.MAX_VALUE));
        return WASI_ESUCCESS;
    }

    private int randomGet(Caller<Void> caller, int ptr, int len) {
        ByteBuffer mem = memoryOf(caller);
        if (!inside(mem, ptr, Integer.toUnsignedLong(len))) {
            return WASI_EFAULT;
        }
        for (int i = 0; i < len; i++) {
            mem.put(ptr + i, (byte) random.nextInt(256));
        }
        return WASI_ESUCCESS;
    }

    private int environSizes(Caller<Void> caller, int countPtr, int sizePtr) {
        ByteBuffer mem = memoryOf(caller);
        if (!inside(mem, countPtr, 4) || !inside(mem, sizePtr, 4)) {
            return WASI_EFAULT;
        }
        mem.putInt(countPtr, 0);
        mem.putInt(sizePtr, 0);
        return WASI_ESUCCESS;
    }

    // ---------------------------------------------------------------- lifecycle

    private void refreshView() {
        view = memory.buffer(handles.store()).order(ByteOrder.LITTLE_ENDIAN);
    }

    private ModelProtocolException protocol(String detail) {
        return new ModelProtocolException("model " + modelId + " broke the seed's contract (tvm-standalone): "
                + detail + ". The instance is replaced (docs/tvm-standalone.md).");
    }

    @Override
    public long memoryBytes() {
        handles.checkOpen();
        return view == null ? 0 : view.capacity();
    }

    /** What the module wrote to stdout/stderr lately (for tests and error messages). */
    String outputTail() {
        return output.tail();
    }

    @Override
    public void close() {
        memory = null;
        view = null;
        run = null;
        handles.close(); // the handles, then the store
    }
}
