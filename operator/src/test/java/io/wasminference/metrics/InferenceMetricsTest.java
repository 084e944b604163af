package io.wasminference.metrics;

import io.wasminference.errors.ErrorKind;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class InferenceMetricsTest {

    /** Records what is registered, by "group.name". */
    private static final class CapturingGroup extends UnregisteredMetricsGroup {
        final Map<String, Metric> metrics;
        final String prefix;

        CapturingGroup(Map<String, Metric> metrics, String prefix) {
            this.metrics = metrics;
            this.prefix = prefix;
        }

        @Override
        public Counter counter(String name) {
            return register(name, super.counter(name));
        }

        @Override
        public <T, G extends Gauge<T>> G gauge(String name, G gauge) {
            return register(name, gauge);
        }

        @Override
        public <H extends Histogram> H histogram(String name, H histogram) {
            return register(name, histogram);
        }

        @Override
        public MetricGroup addGroup(String name) {
            return new CapturingGroup(metrics, prefix + name + ".");
        }

        @Override
        public MetricGroup addGroup(String key, String value) {
            return new CapturingGroup(metrics, prefix + key + "." + value + ".");
        }

        private <M extends Metric> M register(String name, M metric) {
            metrics.put(prefix + name, metric);
            return metric;
        }
    }

    @Test
    void registersEveryDocumentedMetricAndCountsWhatTheHotPathReports() {
        Map<String, Metric> registered = new HashMap<>();
        String[] version = {"m:1"};
        InferenceMetrics m = new InferenceMetrics(new CapturingGroup(registered, ""), () -> version[0], () -> "abc",
                () -> 65536L, () -> 2L, 17);
        m.recordIn();
        m.recordIn();
        m.recordBatch(2, 1500);
        m.recordPrediction(100, 1500);
        m.recordFailure(ErrorKind.TIMEOUT);
        m.recordFailure(ErrorKind.TRAP);
        m.recordDeadLetter("TRAP");
        m.recordDeadLetter("DECODE");
        m.recordDeadLetter("TRAP");
        m.recordSwap();
        m.recordSwapRefused();

        String g = InferenceMetrics.GROUP + ".";
        assertThat(((Counter) registered.get(g + InferenceMetrics.RECORDS_IN)).getCount()).isEqualTo(2);
        assertThat(((Counter) registered.get(g + InferenceMetrics.PREDICTIONS_OUT)).getCount()).isEqualTo(1);
        assertThat(((Counter) registered.get(g + InferenceMetrics.TIMEOUTS)).getCount()).isEqualTo(1);
        assertThat(((Counter) registered.get(g + InferenceMetrics.TRAPS)).getCount()).isEqualTo(1);
        assertThat(((Counter) registered.get(g + InferenceMetrics.FAILED_BATCHES)).getCount()).isEqualTo(2);
        assertThat(((Counter) registered.get(g + InferenceMetrics.DEAD_LETTERS)).getCount()).isEqualTo(3);
        assertThat(((Counter) registered.get(g + "kind.TRAP." + InferenceMetrics.DEAD_LETTERS)).getCount()).isEqualTo(2);
        assertThat(((Counter) registered.get(g + "kind.DECODE." + InferenceMetrics.DEAD_LETTERS)).getCount())
                .isEqualTo(1);
        assertThat(((Counter) registered.get(g + InferenceMetrics.MODEL_SWAPS_REFUSED)).getCount()).isEqualTo(1);
        assertThat(((Histogram) registered.get(g + InferenceMetrics.BATCH_SIZE)).getStatistics().getMax())
                .isEqualTo(2);
        assertThat(((Histogram) registered.get(g + InferenceMetrics.RECORD_LATENCY_MICROS)).getStatistics()
                .getMax()).isEqualTo(1600);
        assertThat(((Gauge<?>) registered.get(g + InferenceMetrics.MODEL_VERSION)).getValue()).isEqualTo("m:1");
        assertThat(((Gauge<?>) registered.get(g + InferenceMetrics.WASM_MEMORY_BYTES)).getValue()).isEqualTo(65536L);
        assertThat(((Gauge<?>) registered.get(g + InferenceMetrics.INSTANCE_RESTARTS)).getValue()).isEqualTo(2L);

        String v1 = g + "model_version.m:1:abc." + InferenceMetrics.MODEL_INFO;
        assertThat(((Gauge<?>) registered.get(v1)).getValue()).isEqualTo(1);

        List<String> expected = new ArrayList<>(metricNames().stream().filter(n -> !n.equals(InferenceMetrics.MODEL_INFO))
                .map(n -> g + n).toList());
        expected.addAll(List.of(v1, g + "kind.DECODE.deadLetters"));
        for (ErrorKind kind : ErrorKind.values()) {
            expected.add(g + "kind." + kind + ".deadLetters");
        }
        assertThat(registered.keySet()).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void theServedVersionIsALabelledGaugeThatFollowsASwap() {
        Map<String, Metric> registered = new HashMap<>();
        String[] version = {"m:1"};
        InferenceMetrics m = new InferenceMetrics(new CapturingGroup(registered, ""), () -> version[0], () -> "abc",
                () -> 0L, () -> 0L, 0);
        String g = InferenceMetrics.GROUP + ".model_version.";
        version[0] = "m:2";
        m.recordBatch(1, 10);
        assertThat(((Gauge<?>) registered.get(g + "m:1:abc.modelInfo")).getValue()).isEqualTo(0);
        assertThat(((Gauge<?>) registered.get(g + "m:2:abc.modelInfo")).getValue()).isEqualTo(1);
        version[0] = "m:1"; // a rollback reuses the first version's gauge
        m.recordBatch(1, 10);
        assertThat(((Gauge<?>) registered.get(g + "m:1:abc.modelInfo")).getValue()).isEqualTo(1);
        assertThat(((Gauge<?>) registered.get(g + "m:2:abc.modelInfo")).getValue()).isEqualTo(0);
        assertThat(registered.keySet().stream().filter(k -> k.endsWith("modelInfo"))).hasSize(2);
    }

    @Test
    void everyMetricIsDocumented() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "operator.md"));
        for (String name : metricNames()) {
            assertThat(doc).as("docs/operator.md documents metric %s", name).contains("`" + name + "`");
        }
    }

    private static List<String> metricNames() {
        List<String> names = new ArrayList<>();
        for (Field f : InferenceMetrics.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class 
                    && !f.getName().equals("GROUP") && !f.getName().endsWith("_KEY")) {
                try {
                    names.add((String) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return names;
    }
}
