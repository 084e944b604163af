package io.wasminference.runtime;

import io.github.kawamuray.wasmtime.Config;
import io.github.kawamuray.wasmtime.Engine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One Wasmtime {@link Engine} per wasm stack limit per JVM (per class loader), shared by every compiled module and
 * reference counted: the engine and its epoch ticker live while at least one module uses them.
 *
 * <p>The ticker is one daemon thread per engine that advances the engine's epoch every {@link #TICK}; a store's
 * deadline is a number of ticks, so a call is interrupted between its timeout and its timeout plus one tick.
 *
 * <p>Thread-safety: an engine is safe to share between threads (Wasmtime's {@code Engine} is {@code Send+Sync});
 * acquire and release are synchronized.
 */
final class SharedEngine {
    private static final Logger LOG = LoggerFactory.getLogger(SharedEngine.class);

    /** Epoch tick; the resolution of every deadline. */
    static final Duration TICK = Duration.ofMillis(5);

    /** Deliberate per-JVM cache: engines by wasm stack limit. Guarded by the class monitor. */
    private static final Map<Long, SharedEngine> ENGINES = new HashMap<>();

    private final long maxWasmStackBytes;
    private final Engine engine;
    private final Thread ticker;
    private int refCount;
    private volatile boolean closed;

    private SharedEngine(long maxWasmStackBytes) {
        this.maxWasmStackBytes = maxWasmStackBytes;
        NativeLibrary.ensureLoaded();
        // The accepted feature set (docs/abi.md §6): WebAssembly 1.0 with the post-MVP features a model kernel
        // uses and that need no host support. Reference types are off: they bring table.grow on tables of any
        // size, which the memory cap does not cover. Threads are off (shared memory, atomics): one thread per
        // instance. Memory64, multi-memory, tail calls and relaxed SIMD have no setter in wasmtime-java 0.19.0 and
        // are off by default in Wasmtime 7 (HostileModuleTest checks each). Sign extension, non-trapping
        // float-to-int and mutable globals are always on.
        Config config = new Config()
                .epochInterruption(true)
                .maxWasmStack(maxWasmStackBytes)
                .wasmSimd(true)
                .wasmBulkMemory(true)
                .wasmMultiValue(true)
                .wasmReferenceTypes(false)
                .wasmThreads(false);
        this.engine = new Engine(config); // takes ownership of config
        this.ticker = new Thread(this::tick, "wasm-inference-epoch-ticker-" + (maxWasmStackBytes >> 10) + "k");
        ticker.setDaemon(true);
        ticker.start();
        LOG.debug("Created wasm engine (max wasm stack {} bytes)", maxWasmStackBytes);
    }

    static synchronized SharedEngine acquire(long maxWasmStackBytes) {
        SharedEngine e = ENGINES.computeIfAbsent(maxWasmStackBytes, SharedEngine::new);
        e.refCount++;
        return e;
    }

    /**
     * Drops one reference; the last one stops the ticker, which disposes the engine as it exits, so the engine is
     * never disposed while the ticker is inside {@code incrementEpoch} (the releasing thread may be interrupted, as
     * Flink interrupts cancelled tasks, and must not be trusted to wait).
     */
    void release() {
        synchronized (SharedEngine.class) {
            if (--refCount > 0) {
                return;
            }
            ENGINES.remove(maxWasmStackBytes);
            closed = true;
        }
        ticker.interrupt();
    }

    Engine engine() {
        if (closed) {
            throw new IllegalStateException("engine already released");
        }
        return engine;
    }

    /** Ticks after which a deadline of {@code timeout} has certainly passed. */
    static long deadlineTicks(Duration timeout) {
        long ticks = (timeout.toNanos() + TICK.toNanos() - 1) / TICK.toNanos();
        return ticks + 1;
    }

    private void tick() {
        long tickNanos = TICK.toNanos();
        try {
            while (!closed) {
                try {
                    TimeUnit.NANOSECONDS.sleep(tickNanos);
                    if (!closed) {
                        engine.incrementEpoch();
                    }
                } catch (InterruptedException ie) {
                    // release() interrupts; the loop condition decides
                } catch (Throwable t) {
                    // A ticker that dies leaves every call on this engine without a deadline: keep going.
                    LOG.error("Epoch ticker failed to advance the epoch; retrying", t);
                }
            }
        } finally {
            // Stores and modules hold their own reference to the underlying engine, so this only drops ours.
            engine.dispose();
            LOG.debug("Disposed wasm engine (max wasm stack {} bytes)", maxWasmStackBytes);
        }
    }
}
