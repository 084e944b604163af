package io.wasminference.compiler.lower;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Places intermediate tensors and scratch in one arena so that buffers whose lifetimes (first to last op that
 * touches them) overlap never overlap in memory, and buffers that are never live at the same time share it.
 * Greedy by size, as TensorFlow Lite's arena planner: largest first, each at the lowest offset that fits between
 * the already placed buffers it is live with.
 */
final class ArenaPlanner {
    static final int ALIGN = 64;

    private ArenaPlanner() {}

    /**
     * Sets each buffer's address to {@code base} plus its offset.
     *
     * @param chunk samples per pass (arena tensors hold that many samples)
     * @return the arena's size in bytes
     */
    static long place(List<Buffer> buffers, int chunk, long base) {
        List<Buffer> order = new ArrayList<>(buffers);
        order.sort(Comparator.comparingLong((Buffer b) -> size(b, chunk)).reversed()
                .thenComparingInt(b -> b.firstUse));
        List<Buffer> placed = new ArrayList<>();
        long peak = 0;
        for (Buffer b : order) {
            long need = align(size(b, chunk));
            List<long[]> busy = new ArrayList<>();
            for (Buffer p : placed) {
                if (p.firstUse <= b.lastUse && b.firstUse <= p.lastUse) {
                    busy.add(new long[] {p.address - base, p.address - base + align(size(p, chunk))});
                }
            }
            busy.sort(Comparator.comparingLong(r -> r[0]));
            long offset = 0;
            for (long[] r : busy) {
                if (r[0] - offset >= need) {
                    break;
                }
                offset = Math.max(offset, r[1]);
            }
            b.address = base + offset;
            placed.add(b);
            peak = Math.max(peak, offset + need);
        }
        return peak;
    }

    static long size(Buffer b, int chunk) {
        return b.kind == Buffer.Kind.ARENA && !b.local ? b.bytes * chunk : b.bytes;
    }

    static long align(long v) {
        return (v + ALIGN - 1) / ALIGN * ALIGN;
    }
}
