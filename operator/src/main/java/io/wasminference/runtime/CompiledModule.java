package io.wasminference.runtime;

import io.github.kawamuray.wasmtime.Module;
import io.wasminference.errors.ModelRefusedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;

/**
 * A module compiled once per JVM per content hash and engine, shared by every {@link WasmModel} and
 * {@link ModelInstance} that uses it; reference counted, disposed with its last user.
 *
 * <p>Thread-safety: a compiled Wasmtime {@code Module} may be instantiated from any thread; acquire and release
 * are synchronized on the cache.
 */
final class CompiledModule {
    private static final Logger LOG = LoggerFactory.getLogger(CompiledModule.class);

    /** Deliberate per-JVM cache of compiled modules by sha256 and wasm stack limit. Guarded by the class monitor. */
    private static final Map<String, CompiledModule> CACHE = new HashMap<>();

    private final String key;
    private final String sha256;
    private final SharedEngine engine;
    private final Module module;
    private int refCount;
    private boolean disposed;

    private CompiledModule(String key, String sha256, SharedEngine engine, Module module) {
        this.key = key;
        this.sha256 = sha256;
        this.engine = engine;
        this.module = module;
    }

    /**
     * Returns the shared compiled module for these bytes, compiling them if this JVM has not yet. Only the code is
     * shared: each {@link WasmModel} keeps its own validation result (its memory plan depends on its limits).
     */
    static CompiledModule acquire(byte[] bytes, String sha256, String modelId, long maxWasmStackBytes) {
        String key = sha256 + "/" + maxWasmStackBytes;
        synchronized (CompiledModule.class) {
            CompiledModule cached = CACHE.get(key);
            if (cached != null) {
                cached.refCount++;
                return cached;
            }
            SharedEngine engine = SharedEngine.acquire(maxWasmStackBytes);
            Module module;
            long start = System.nanoTime();
            try {
                module = new Module(engine.engine(), bytes);
            } catch (RuntimeException e) {
                engine.release();
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
            CompiledModule compiled = new CompiledModule(key, sha256, engine, module);
            compiled.refCount = 1;
            CACHE.put(key, compiled);
            return compiled;
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
            CACHE.remove(key);
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

    /** Number of distinct compiled modules alive in this JVM (for tests and metrics). */
    static synchronized int cachedCount() {
        return CACHE.size();
    }
}
