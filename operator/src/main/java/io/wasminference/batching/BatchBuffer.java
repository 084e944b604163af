package io.wasminference.batching;

import org.apache.flink.annotation.Internal;

import java.util.ArrayList;
import java.util.List;

/**
 * Records waiting for their wasm call, with the time each arrived. Not thread-safe: owned by one operator
 * instance and only touched from its mailbox thread.
 */
@Internal
public final class BatchBuffer<T> {
    /**
     * A buffered element, when it arrived ({@link System#nanoTime()}) and its event-time timestamp, if it has one
     * (kept here rather than in a copy of the element's stream record: one object per record fewer).
     */
    public record Entry<T>(T element, long arrivedNanos, boolean hasTimestamp, long timestamp) {
        /** An element without a timestamp. */
        public Entry(T element, long arrivedNanos) {
            this(element, arrivedNanos, false, Long.MIN_VALUE);
        }
    }

    private List<Entry<T>> entries = new ArrayList<>();
    private long minTimestamp = Long.MAX_VALUE;

    public void add(T element, long arrivedNanos) {
        entries.add(new Entry<>(element, arrivedNanos));
    }

    /** Adds an element that carries an event-time timestamp. */
    public void add(T element, long arrivedNanos, long timestamp) {
        entries.add(new Entry<>(element, arrivedNanos, true, timestamp));
        minTimestamp = Math.min(minTimestamp, timestamp);
    }

    /** Smallest event-time timestamp buffered, {@link Long#MAX_VALUE} when none. */
    public long minTimestamp() {
        return minTimestamp;
    }

    public int size() {
        return entries.size();
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** Removes and returns everything buffered, oldest first. */
    public List<Entry<T>> drain() {
        List<Entry<T>> out = entries;
        entries = new ArrayList<>(Math.max(16, out.size()));
        minTimestamp = Long.MAX_VALUE;
        return out;
    }
}
