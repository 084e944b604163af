package io.wasminference.testutils;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Fails its subtask once, after it has seen {@code after} elements, to test recovery. The flag is JVM-wide
 * (a MiniCluster runs in the test's JVM): {@link #reset()} it before each test.
 */
public final class FailOnce<T> implements MapFunction<T, T> {
    private static final long serialVersionUID = 1L;
    private static final AtomicBoolean FAILED = new AtomicBoolean();

    private final int after;
    private int seen;

    public FailOnce(int after) {
        this.after = after;
    }

    public static void reset() {
        FAILED.set(false);
    }

    public static boolean failed() {
        return FAILED.get();
    }

    @Override
    public T map(T value) {
        if (++seen == after && FAILED.compareAndSet(false, true)) {
            throw new IllegalStateException("injected failure after " + after + " elements");
        }
        return value;
    }

    /** A job configuration that restarts up to three times, 100 ms apart. */
    public static Configuration restartingJob() {
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(100));
        return conf;
    }
}
