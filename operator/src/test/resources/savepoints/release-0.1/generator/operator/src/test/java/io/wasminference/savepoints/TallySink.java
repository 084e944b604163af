package io.wasminference.savepoints;

import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.util.function.SerializableFunction;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stateless sink that counts what reaches it by a key (e.g. {@code "fashion-lenet5:1.0.0"}) in a per-JVM table,
 * so a generator running a MiniCluster in the same JVM can see how far a job got. Stateless: it adds nothing to a
 * savepoint.
 */
public final class TallySink<T> implements Sink<T> {
    private static final long serialVersionUID = 1L;
    /** Per-JVM, test-only: the counts of every TallySink, by key. */
    private static final Map<String, AtomicLong> COUNTS = new ConcurrentHashMap<>();

    private final SerializableFunction<T, String> key;

    public TallySink(SerializableFunction<T, String> key) {
        this.key = key;
    }

    public static void reset() {
        COUNTS.clear();
    }

    public static long count(String key) {
        AtomicLong c = COUNTS.get(key);
        return c == null ? 0 : c.get();
    }

    public static Map<String, Long> counts() {
        Map<String, Long> out = new TreeMap<>();
        COUNTS.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    @Override
    public SinkWriter<T> createWriter(WriterInitContext context) {
        return new SinkWriter<>() {
            @Override
            public void write(T element, Context ctx) {
                COUNTS.computeIfAbsent(key.apply(element), k -> new AtomicLong()).incrementAndGet();
            }

            @Override
            public void flush(boolean endOfInput) {}

            @Override
            public void close() {}
        };
    }
}
