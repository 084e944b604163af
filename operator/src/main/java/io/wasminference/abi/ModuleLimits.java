package io.wasminference.abi;

import java.io.Serializable;

/**
 * What a module may declare, checked from its binary before Wasmtime compiles it (docs/abi.md §1). These bound the
 * resources the linear-memory cap does not cover: Wasmtime 7 as wasmtime-java 0.19.0 exposes it has no store
 * limiter, so a table is native memory outside the cap and outside the JVM heap, sized by the module.
 *
 * @param maxTableElements largest declared maximum (and minimum) of the module's one funcref table; a table
 *     without a declared maximum is refused. Wasmtime keeps 8 bytes per element, outside the memory cap.
 */
public record ModuleLimits(long maxTableElements) implements Serializable {

    private static final long serialVersionUID = 1L;

    /**
     * 65,536 elements (512 KiB of native memory per instance at most): far more indirect-call targets than a
     * model needs (a C program's table holds one entry per address-taken function), small next to the memory cap.
     */
    public static final long DEFAULT_MAX_TABLE_ELEMENTS = 65_536;

    public ModuleLimits {
        if (maxTableElements < 0 || maxTableElements > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("table element limit " + maxTableElements + " is outside 0..2^32-1");
        }
    }

    /** The defaults above. */
    public static ModuleLimits defaults() {
        return new ModuleLimits(DEFAULT_MAX_TABLE_ELEMENTS);
    }

    public ModuleLimits withMaxTableElements(long elements) {
        return new ModuleLimits(elements);
    }
}
