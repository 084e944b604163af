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
        Config config = new Config()
                .epochInterruption(true)
                .maxWasmStack(maxWasmStackBytes)
                .wasmSimd(true)
                .wasmBulkMemory(true)
                .wasmMultiValue(true)
                .wasmReferenceTypes(true)
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

    void release() {
        synchronized (SharedEngine.class) {
            if (--refCount > 0) {
                return;
            }
            ENGINES.remove(maxWasmStackBytes);
            closed = true;
        }
        ticker.interrupt();
        try {
            ticker.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
        // Stores and modules hold their own reference to the underlying engine, so this only drops ours.
        engine.dispose();
        LOG.debug("Disposed wasm engine (max wasm stack {} bytes)", maxWasmStackBytes);
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
        while (!closed) {
            try {
                TimeUnit.NANOSECONDS.sleep(tickNanos);
            } catch (InterruptedException ie) {
                return;
            }
            if (!closed) {
                engine.incrementEpoch();
            }
        }
    }
}
