package io.wasminference.abi;

import org.apache.flink.annotation.PublicEvolving;

import java.io.Serializable;

/**
 * What a module may declare, checked from its binary before Wasmtime compiles it (docs/abi.md §1). These bound the
 * resources the linear-memory cap does not cover. Wasmtime 7 as wasmtime-java 0.19.0 exposes it has no store
 * limiter and no compile deadline: a table or a global is native memory outside the cap and outside the JVM heap,
 * and Cranelift's time and memory grow with the code it is given (a single 5 MB function took 27-63 s and +900 MiB
 * to compile here, a 7 MB one crashed the JVM inside Cranelift). Measured with {@code io.wasminference.bench.CompileCost}
 * (docs/abi.md §6).
 *
 * <p>The defaults are generous for models (a compiled network with its weights in a data segment of tens of MB
 * passes), and every one is a setting.
 *
 * @param maxModuleBytes largest .wasm file, data segments and custom sections included
 * @param maxCodeBytes largest code section (all function bodies)
 * @param maxFunctionBytes largest single function body, at most {@link #MAX_FUNCTION_BYTES}
 * @param maxFunctions most functions the module may define
 * @param maxGlobals most globals the module may define (16 bytes each in every instance)
 * @param maxTableElements largest declared maximum (and minimum) of the module's one funcref table; a table
 *     without a declared maximum is refused. Wasmtime keeps 8 bytes per element, outside the memory cap.
 */
@PublicEvolving
public record ModuleLimits(long maxModuleBytes, long maxCodeBytes, long maxFunctionBytes, int maxFunctions,
        int maxGlobals, long maxTableElements) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** 256 MiB: room for a model whose weights are one data segment of tens of MB. */
    public static final long DEFAULT_MAX_MODULE_BYTES = 256L << 20;
    /** 16 MiB of code; dense code compiled at 0.35-0.8 MB/s here (2 cores), so at most about 20-50 s. */
    public static final long DEFAULT_MAX_CODE_BYTES = 16L << 20;
    /** 1 MiB per function; the worst bodies measured at this size compiled in 4-6.5 s with about +220 MiB. */
    public static final long DEFAULT_MAX_FUNCTION_BYTES = 1L << 20;
    /** The highest accepted setting of {@link #maxFunctionBytes}: 3.5 MB compiled, 7 MB crashed Cranelift 0.94. */
    public static final long MAX_FUNCTION_BYTES = 4L << 20;
    /** 100,000 functions; 100,000 trivial ones took 5.6-7.2 s and +130-140 MiB to compile here. */
    public static final int DEFAULT_MAX_FUNCTIONS = 100_000;
    /** 100,000 globals: 1.6 MB per instance (1,000,000 took +15 MiB per instance). */
    public static final int DEFAULT_MAX_GLOBALS = 100_000;
    /**
     * 65,536 elements (512 KiB of native memory per instance at most): far more indirect-call targets than a
     * model needs (a C program's table holds one entry per address-taken function), small next to the memory cap.
     */
    public static final long DEFAULT_MAX_TABLE_ELEMENTS = 65_536;

    public ModuleLimits {
        if (maxModuleBytes < 8 || maxModuleBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("module size limit " + maxModuleBytes + " is outside 8..2^31-1 bytes");
        }
        if (maxCodeBytes < 0 || maxFunctionBytes < 0 || maxFunctions < 0 || maxGlobals < 0) {
            throw new IllegalArgumentException("module limits must not be negative: code " + maxCodeBytes
                    + ", function " + maxFunctionBytes + ", functions " + maxFunctions + ", globals " + maxGlobals);
        }
        if (maxFunctionBytes > MAX_FUNCTION_BYTES) {
            throw new IllegalArgumentException("function size limit " + maxFunctionBytes + " is above "
                    + MAX_FUNCTION_BYTES + " bytes: Cranelift (Wasmtime 7) crashed the JVM compiling a 7 MB function");
        }
        if (maxTableElements < 0 || maxTableElements > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("table element limit " + maxTableElements + " is outside 0..2^32-1");
        }
    }

    /** The defaults above. */
    public static ModuleLimits defaults() {
        return new ModuleLimits(DEFAULT_MAX_MODULE_BYTES, DEFAULT_MAX_CODE_BYTES, DEFAULT_MAX_FUNCTION_BYTES,
                DEFAULT_MAX_FUNCTIONS, DEFAULT_MAX_GLOBALS, DEFAULT_MAX_TABLE_ELEMENTS);
    }

    public ModuleLimits withMaxModuleBytes(long bytes) {
        return new ModuleLimits(bytes, maxCodeBytes, maxFunctionBytes, maxFunctions, maxGlobals, maxTableElements);
    }

    public ModuleLimits withMaxCodeBytes(long bytes) {
        return new ModuleLimits(maxModuleBytes, bytes, maxFunctionBytes, maxFunctions, maxGlobals, maxTableElements);
    }

    public ModuleLimits withMaxFunctionBytes(long bytes) {
        return new ModuleLimits(maxModuleBytes, maxCodeBytes, bytes, maxFunctions, maxGlobals, maxTableElements);
    }

    public ModuleLimits withMaxFunctions(int functions) {
        return new ModuleLimits(maxModuleBytes, maxCodeBytes, maxFunctionBytes, functions, maxGlobals,
                maxTableElements);
    }

    public ModuleLimits withMaxGlobals(int globals) {
        return new ModuleLimits(maxModuleBytes, maxCodeBytes, maxFunctionBytes, maxFunctions, globals,
                maxTableElements);
    }

    public ModuleLimits withMaxTableElements(long elements) {
        return new ModuleLimits(maxModuleBytes, maxCodeBytes, maxFunctionBytes, maxFunctions, maxGlobals, elements);
    }
}
