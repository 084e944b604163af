package io.wasminference.metrics;

import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.HistogramStatistics;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogramStatistics;

import java.util.Arrays;

/**
 * Flink's {@link DescriptiveStatisticsHistogram} (the last {@code window} values, same statistics) that also takes a
 * batch of values under one lock: the per-record histograms cost two monitor enters per record otherwise, a few
 * percent of a small model's record. Updated by the task thread, read by metric reporters.
 */
final class WindowHistogram implements Histogram {
    private final double[] values;
    private int next;
    private boolean full;
    private long count;

    WindowHistogram(int window) {
        if (window < 1) {
            throw new IllegalArgumentException("window must be at least 1, got " + window);
        }
        this.values = new double[window];
    }

    @Override
    public synchronized void update(long value) {
        add(value);
    }

    /** Adds {@code values[0..n)} in order, as {@code n} calls of {@link #update} would. */
    synchronized void update(long[] batch, int n) {
        for (int i = 0; i < n; i++) {
            add(batch[i]);
        }
    }

    private void add(long value) {
        values[next] = value;
        count++;
        if (++next == values.length) {
            next = 0;
            full = true;
        }
    }

    @Override
    public synchronized long getCount() {
        return count;
    }

    @Override
    public HistogramStatistics getStatistics() {
        double[] snapshot;
        synchronized (this) {
            snapshot = Arrays.copyOf(values, full ? values.length : next);
        }
        return new DescriptiveStatisticsHistogramStatistics(snapshot);
    }
}
