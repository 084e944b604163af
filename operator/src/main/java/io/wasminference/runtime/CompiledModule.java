package io.wasminference.runtime;

import io.github.kawamuray.wasmtime.Engine;
import io.github.kawamuray.wasmtime.Module;
import io.wasminference.errors.ModelRefusedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A module compiled once per JVM per content hash and engine, shared by every {@link WasmModel} and
 * {@link ModelInstance} that uses it; reference counted, disposed with its last user.
 *
 * <p>Compiling happens outside any lock: the cache holds one future per module, so threads loading the same module
 * wait for the one compile while threads loading other modules go on (a slow compile used to hold a JVM-wide lock
 * and block every subtask of the TaskManager). What a compile may cost is bounded before it starts, by
 * {@link io.wasminference.abi.ModuleLimits}.
 *
 * <p>Thread-safety: a compiled Wasmtime {@code Module} may be instantiated from any thread; the cache and the
 * reference counts are guarded by the class monitor.
 */
final class CompiledModule {
    private static final Logger LOG = LoggerFactory.getLogger(CompiledModule.class);

    /** Turns bytes into a Wasmtime module; a parameter so tests can hold a compile in progress. */
    @FunctionalInterface
    interface Compiler {
        Module compile(Engine engine, byte[] bytes);
    }

    static final Compiler WASMTIME = Module::new;

    /**
     * Deliberate per-JVM cache of compiled modules by sha256 and wasm stack limit: a future while the module is
     * being compiled, completed with the module (or the refusal). Guarded by the class monitor.
     */
    private static final Map<String, CompletableFuture<CompiledModule>> CACHE = new HashMap<>();

    private final String key;
    private final String sha256;
    private final SharedEngine engine;
    private final Module module;
    private final CompletableFuture<CompiledModule> entry;
    private int refCount;
    private boolean disposed;

    private CompiledModule(String key, String sha256, SharedEngine engine, Module module,
            CompletableFuture<CompiledModule> entry) {
        this.key = key;
        this.sha256 = sha256;
        this.engine = engine;
        this.module = module;
        this.entry = entry;
    }

    /**
     * Returns the shared compiled module for these bytes, compiling them if this JVM has not yet. Only the code is
     * shared: each {@link WasmModel} keeps its own validation result (its memory plan depends on its limits).
     */
    static CompiledModule acquire(byte[] bytes, String sha256, String modelId, long maxWasmStackBytes) {
        return acquire(bytes, sha256, modelId, maxWasmStackBytes, WASMTIME);
    }

    static CompiledModule acquire(byte[] bytes, String sha256, String modelId, long maxWasmStackBytes,
            Compiler compiler) {
        String key = sha256 + "/" + maxWasmStackBytes;
        while (true) {
            CompletableFuture<CompiledModule> entry;
            boolean compileHere = false;
            synchronized (CompiledModule.class) {
                entry = CACHE.get(key);
                if (entry == null) {
                    entry = new CompletableFuture<>();
                    CACHE.put(key, entry);
                    compileHere = true;
                } else if (entry.isDone() && !entry.isCompletedExceptionally()) {
                    CompiledModule cached = entry.join();
                    cached.refCount++;
                    return cached;
                }
            }
            if (compileHere) {
                return compile(bytes, sha256, modelId, maxWasmStackBytes, compiler, key, entry);
            }
            CompiledModule compiled = await(entry, modelId);
            synchronized (CompiledModule.class) {
                // Its compiler's thread may have released it since: then compile anew.
                if (!compiled.disposed) {
                    compiled.refCount++;
                    return compiled;
                }
            }
        }
    }

    /** Compiles outside the lock and completes {@code entry} for the threads waiting on it. */
    private static CompiledModule compile(byte[] bytes, String sha256, String modelId, long maxWasmStackBytes,
            Compiler compiler, String key, CompletableFuture<CompiledModule> entry) {
        SharedEngine engine = null;
        try {
            engine = SharedEngine.acquire(maxWasmStackBytes);
            long start = System.nanoTime();
            Module module;
            try {
                module = compiler.compile(engine.engine(), bytes);
            } catch (RuntimeException e) {
                throw new ModelRefusedException("Wasmtime refused to compile model "
                        + modelId + ": " + e.getMessage()
                        + ". The module is invalid WebAssembly or uses a feature outside the accepted set "
                        + "(docs/abi.md §6: WebAssembly 1.0 with SIMD128, bulk memory, multi-value, sign extension, "
                        + "non-trapping float-to-int; not reference types, threads, tail calls, relaxed SIMD). "
                        + "clang 19+ and Rust 1.82+ enable reference types by default, which changes how "
                        + "call_indirect is encoded: build with -mno-reference-types (clang) or for wasm32v1-none "
                        + "(Rust).", e);
            }
            LOG.info("Compiled model {} (sha256 {}, {} bytes) in {} ms", modelId,
                    sha256.substring(0, 12), bytes.length, (System.nanoTime() - start) / 1_000_000);
            CompiledModule compiled = new CompiledModule(key, sha256, engine, module, entry);
            synchronized (CompiledModule.class) {
                compiled.refCount = 1;
                entry.complete(compiled);
            }
            return compiled;
        } catch (RuntimeException | Error e) {
            if (engine != null) {
                engine.release();
            }
            synchronized (CompiledModule.class) {
                CACHE.remove(key, entry); // a refusal is not cached: the next load tries again
                entry.completeExceptionally(e);
            }
            throw e;
        }
    }

    /** Waits for another thread's compile of the same module; its refusal is this thread's refusal too. */
    private static CompiledModule await(CompletableFuture<CompiledModule> entry, String modelId) {
        try {
            return entry.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for another thread compiling model "
                    + modelId, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Takes one more reference, for an instance that outlives the model handle it came from. */
    CompiledModule retain() {
        synchronized (CompiledModule.class) {
            if (disposed) {
                throw new IllegalStateException("compiled module " + sha256 + " already disposed");
            }
            refCount++;
            return this;
        }
    }

    void release() {
        synchronized (CompiledModule.class) {
            if (disposed || --refCount > 0) {
                return;
            }
            disposed = true;
            CACHE.remove(key, entry);
        }
        try {
            module.dispose();
        } finally {
            engine.release();
        }
    }

    Module module() {
        return module;
    }

    SharedEngine engine() {
        return engine;
    }

    String sha256() {
        return sha256;
    }

    /** Number of distinct modules compiled or being compiled in this JVM (for tests and metrics). */
    static synchronized int cachedCount() {
        return CACHE.size();
    }
}
