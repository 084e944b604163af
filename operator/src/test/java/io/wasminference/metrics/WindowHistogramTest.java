package io.wasminference.metrics;

import org.apache.flink.metrics.HistogramStatistics;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class WindowHistogramTest {

    private static void assertSameStatistics(DescriptiveStatisticsHistogram flink, WindowHistogram ours) {
        assertThat(ours.getCount()).isEqualTo(flink.getCount());
        HistogramStatistics a = flink.getStatistics();
        HistogramStatistics b = ours.getStatistics();
        assertThat(b.size()).isEqualTo(a.size());
        assertThat(b.getValues()).containsExactly(a.getValues());
        assertThat(b.getMin()).isEqualTo(a.getMin());
        assertThat(b.getMax()).isEqualTo(a.getMax());
        assertThat(b.getMean()).isEqualTo(a.getMean());
        assertThat(b.getStdDev()).isEqualTo(a.getStdDev());
        for (double q : new double[] {0.5, 0.75, 0.95, 0.99, 0.999}) {
            assertThat(b.getQuantile(q)).isEqualTo(a.getQuantile(q));
        }
    }

    @Test
    void batchesOfValuesGiveFlinksWindowStatisticsBeforeAndAfterTheWindowWrapsAround() {
        DescriptiveStatisticsHistogram flink = new DescriptiveStatisticsHistogram(100);
        WindowHistogram ours = new WindowHistogram(100);
        Random random = new Random(3);
        long[] batch = new long[64];
        for (int round = 0; round < 7; round++) {
            int n = 1 + random.nextInt(batch.length);
            for (int i = 0; i < n; i++) {
                batch[i] = random.nextInt(10_000);
                flink.update(batch[i]);
            }
            if (round % 2 == 0) {
                ours.update(batch, n);
            } else {
                for (int i = 0; i < n; i++) {
                    ours.update(batch[i]);
                }
            }
            assertSameStatistics(flink, ours);
        }
        assertThat(ours.getCount()).isGreaterThan(100); // wrapped around
    }
}
