package io.wasminference.abi;

import org.apache.flink.annotation.Internal;

/**
 * How an instance gets its linear memory: the host creates it (the module imports {@code env.memory}) with these
 * page limits, or the module defines and exports it with a declared maximum within the cap.
 *
 * @param imported whether the host provides the memory
 * @param minPages initial size in 64 KiB pages
 * @param maxPages the maximum in pages that applies to this module
 * @param cappedBySandbox whether {@code maxPages} is the sandbox's memory cap (an imported memory that declares no
 *     maximum, or one above the cap), rather than the module's own declared maximum
 */
@Internal
public record MemoryPlan(boolean imported, long minPages, long maxPages, boolean cappedBySandbox) {
    /** Bytes per wasm page. */
    public static final long PAGE_BYTES = 65536;

    public long maxBytes() {
        return maxPages * PAGE_BYTES;
    }

    /** {@code pages} in words, e.g. "2 pages (128 KiB)", "4096 pages (256 MiB)". */
    public static String describePages(long pages) {
        return pages + (pages == 1 ? " page (" : " pages (") + describeBytes(pages * PAGE_BYTES) + ")";
    }

    /** A byte count in the largest binary unit that divides it: "128 KiB", "256 MiB", "100 bytes". */
    public static String describeBytes(long bytes) {
        if (bytes != 0 && bytes % (1L << 30) == 0) {
            return (bytes >> 30) + " GiB";
        }
        if (bytes != 0 && bytes % (1L << 20) == 0) {
            return (bytes >> 20) + " MiB";
        }
        if (bytes != 0 && bytes % (1L << 10) == 0) {
            return (bytes >> 10) + " KiB";
        }
        return bytes + " bytes";
    }
}
