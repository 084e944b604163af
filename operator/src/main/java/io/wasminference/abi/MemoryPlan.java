package io.wasminference.abi;

/**
 * How an instance gets its linear memory: the host creates it (the module imports {@code env.memory}) with these
 * page limits, or the module defines and exports it with a declared maximum within the cap.
 *
 * @param imported whether the host provides the memory
 * @param minPages initial size in 64 KiB pages
 * @param maxPages the cap in pages that applies to this module
 */
public record MemoryPlan(boolean imported, long minPages, long maxPages) {
    /** Bytes per wasm page. */
    public static final long PAGE_BYTES = 65536;

    public long maxBytes() {
        return maxPages * PAGE_BYTES;
    }
}
