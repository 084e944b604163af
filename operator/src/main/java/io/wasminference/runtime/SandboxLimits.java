package io.wasminference.runtime;

import io.wasminference.abi.MemoryPlan;
import io.wasminference.abi.ModuleLimits;
import org.apache.flink.annotation.PublicEvolving;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/**
 * The resources one model instance may use. Serializable so it travels with a Flink job graph.
 *
 * @param memoryLimitBytes cap on the instance's linear memory (native memory, outside the JVM heap); rounded down
 *     to whole 64 KiB pages
 * @param callTimeout wall-clock deadline of one {@code wi_run} call
 * @param startupTimeout wall-clock deadline of instantiation: start function, {@code _initialize}, {@code wi_control}
 * @param maxWasmStackBytes limit of the wasm stack; must stay well below the calling thread's stack (the JVM
 *     default of 1 MiB leaves room for 256 KiB), otherwise a deep recursion in wasm overflows the native stack
 *     and kills the JVM
 * @param moduleLimits what a module may declare besides its memory (tables, ...), checked before compiling
 */
@PublicEvolving
public record SandboxLimits(long memoryLimitBytes, Duration callTimeout, Duration startupTimeout,
        long maxWasmStackBytes, ModuleLimits moduleLimits) implements Serializable {

    private static final long serialVersionUID = 1L;

    public static final long DEFAULT_MEMORY_LIMIT_BYTES = 256L << 20;
    public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(10);
    public static final long DEFAULT_MAX_WASM_STACK_BYTES = 256L << 10;
    /** Largest wasm stack limit: half of the JVM's default 1 MiB thread stack, the rest for JVM and Flink frames. */
    public static final long MAX_WASM_STACK_BYTES = 512L << 10;
    /** Wasm32 can address at most 4 GiB; the zero-copy memory view of wasmtime-java stops working at 2 GiB. */
    public static final long MAX_MEMORY_LIMIT_BYTES = (2L << 30) - MemoryPlan.PAGE_BYTES;

    public SandboxLimits {
        Objects.requireNonNull(callTimeout, "callTimeout");
        Objects.requireNonNull(startupTimeout, "startupTimeout");
        Objects.requireNonNull(moduleLimits, "moduleLimits");
        if (memoryLimitBytes < MemoryPlan.PAGE_BYTES || memoryLimitBytes > MAX_MEMORY_LIMIT_BYTES) {
            throw new IllegalArgumentException("memory limit " + memoryLimitBytes + " bytes is outside 64 KiB.."
                    + MAX_MEMORY_LIMIT_BYTES + " bytes");
        }
        if (callTimeout.isNegative() || callTimeout.isZero() || startupTimeout.isNegative()
                || startupTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive, got call " + callTimeout
                    + " and startup " + startupTimeout);
        }
        if (maxWasmStackBytes < (64 << 10) || maxWasmStackBytes > MAX_WASM_STACK_BYTES) {
            throw new IllegalArgumentException("wasm stack limit " + maxWasmStackBytes + " bytes is outside 64 KiB.."
                    + (MAX_WASM_STACK_BYTES >> 10) + " KiB: wasm runs on the calling thread's native stack, and a "
                    + "limit near the JVM's 1 MiB thread stack lets a deep recursion crash the JVM");
        }
    }

    /** 256 MiB memory, 10 s per call, 10 s start-up, 256 KiB wasm stack, {@link ModuleLimits#defaults()}. */
    public static SandboxLimits defaults() {
        return new SandboxLimits(DEFAULT_MEMORY_LIMIT_BYTES, DEFAULT_CALL_TIMEOUT, DEFAULT_STARTUP_TIMEOUT,
                DEFAULT_MAX_WASM_STACK_BYTES, ModuleLimits.defaults());
    }

    public SandboxLimits withMemoryLimitBytes(long bytes) {
        return new SandboxLimits(bytes, callTimeout, startupTimeout, maxWasmStackBytes, moduleLimits);
    }

    public SandboxLimits withCallTimeout(Duration timeout) {
        return new SandboxLimits(memoryLimitBytes, timeout, startupTimeout, maxWasmStackBytes, moduleLimits);
    }

    public SandboxLimits withStartupTimeout(Duration timeout) {
        return new SandboxLimits(memoryLimitBytes, callTimeout, timeout, maxWasmStackBytes, moduleLimits);
    }

    public SandboxLimits withMaxWasmStackBytes(long bytes) {
        return new SandboxLimits(memoryLimitBytes, callTimeout, startupTimeout, bytes, moduleLimits);
    }

    public SandboxLimits withModuleLimits(ModuleLimits limits) {
        return new SandboxLimits(memoryLimitBytes, callTimeout, startupTimeout, maxWasmStackBytes, limits);
    }

    /** The memory cap in whole wasm pages. */
    public long memoryLimitPages() {
        return memoryLimitBytes / MemoryPlan.PAGE_BYTES;
    }
}
