package io.wasminference.jobs.sql;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasminference.jobs.kafka.CheckedSender;
import io.wasminference.jobs.kafka.EmbeddedKafka;
import io.wasminference.jobs.kafka.KafkaTools;
import io.wasminference.testutils.Fixtures;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.functions.ScalarFunction;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ML_PREDICT between Kafka tables (the Kafka connector's SQL side, JSON format), with an exactly-once Kafka sink:
 * the committed output equals the operator's accuracy, and stays exactly one row per input across a failure.
 */
@Timeout(300)
class MlPredictKafkaITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static final ObjectMapper JSON = new ObjectMapper();
    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka() throws Exception {
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stopKafka() throws Exception {
        kafka.close();
    }

    /** Fails its task once, at the row whose id is {@code target}; JVM-wide flag (the MiniCluster is in-process). */
    public static final class FailOnceAt extends ScalarFunction {
        static final AtomicBoolean FAILED = new AtomicBoolean();

        public String eval(String id, String target) {
            if (id.equals(target) && FAILED.compareAndSet(false, true)) {
                throw new IllegalStateException("injected failure at " + id);
            }
            return id;
        }
    }

    /** Writes the digits test set as {"id", "pixels"} records; returns the labels by id. */
    static Map<String, Integer> produce(String topic) throws Exception {
        KafkaTools.ensureTopics(kafka.bootstrapServers(), new Properties(), Map.of(topic, 2));
        Map<String, Integer> labels = new HashMap<>();
        try (CheckedSender s = new CheckedSender(kafka.bootstrapServers(), new Properties())) {
            for (String line : Fixtures.sampleLines("digits-mlp", "test.jsonl.gz")) {
                JsonNode n = JSON.readTree(line);
                ObjectNode r = JSON.createObjectNode();
                r.put("id", n.get("id").asText());
                r.set("pixels", n.get("data"));
                labels.put(n.get("id").asText(), n.get("label").asInt());
                s.send(new ProducerRecord<>(topic, n.get("id").asText().getBytes(StandardCharsets.UTF_8),
                        JSON.writeValueAsBytes(r)));
            }
        }
        return labels;
    }

    static StreamTableEnvironment tableEnv(boolean restarts) {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMillis(500));
        if (restarts) {
            conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
            conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
            conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        return StreamTableEnvironment.create(env);
    }

    static void tables(StreamTableEnvironment t, String in, String out) {
        String bootstrap = kafka.bootstrapServers();
        t.executeSql("CREATE TEMPORARY TABLE requests (id STRING, pixels ARRAY<FLOAT>) WITH ('connector' = 'kafka', "
                + "'topic' = '" + in + "', 'properties.bootstrap.servers' = '" + bootstrap + "', "
                + "'properties.group.id' = '" + in + "-group', 'scan.startup.mode' = 'earliest-offset', "
                + "'scan.bounded.mode' = 'latest-offset', 'format' = 'json')");
        t.executeSql("CREATE TEMPORARY TABLE predictions (id STRING, label INT, score FLOAT, error STRING) WITH ("
                + "'connector' = 'kafka', 'topic' = '" + out + "', 'properties.bootstrap.servers' = '" + bootstrap
                + "', 'format' = 'json', 'sink.delivery-guarantee' = 'exactly-once', "
                + "'sink.transactional-id-prefix' = '" + out + "', 'properties.transaction.timeout.ms' = '60000')");
        t.executeSql("CREATE TEMPORARY MODEL digits INPUT (pixels ARRAY<FLOAT>) OUTPUT (label INT, score FLOAT, "
                + "error STRING) WITH ('provider' = 'wasm', 'uri' = 'classpath:samples/digits-mlp/model.wasm', "
                + "'batch-size' = '32', 'max-delay' = '5 ms')");
    }

    static List<JsonNode> readCommitted(String topic) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = KafkaTools.consumerFromStart(kafka.bootstrapServers(), topic)) {
            long idle = System.currentTimeMillis();
            while (System.currentTimeMillis() - idle < 3000) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    out.add(JSON.readTree(r.value()));
                    idle = System.currentTimeMillis();
                }
            }
        }
        return out;
    }

    static void assertExactlyOnePerInputWithTheOperatorsAccuracy(List<JsonNode> out, Map<String, Integer> labels) {
        Set<String> ids = new HashSet<>();
        int correct = 0;
        for (JsonNode n : out) {
            assertThat(ids.add(n.get("id").asText())).as("duplicate id %s", n.get("id")).isTrue();
            if (labels.get(n.get("id").asText()) == n.get("label").asInt()) {
                correct++;
            }
        }
        assertThat(ids).isEqualTo(labels.keySet());
        assertThat(correct).isEqualTo(354);
    }

    @Test
    void kafkaTableThroughMlPredictIntoAnExactlyOnceKafkaSink() throws Exception {
        String in = "sql-in-" + UUID.randomUUID().toString().substring(0, 8);
        String out = "sql-out-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, Integer> labels = produce(in);
        StreamTableEnvironment t = tableEnv(false);
        tables(t, in, out);
        t.executeSql("INSERT INTO predictions SELECT id, label, score, error FROM ML_PREDICT(TABLE requests, "
                + "MODEL digits, DESCRIPTOR(pixels), MAP['max-concurrent-operations', '64'])").await();
        assertExactlyOnePerInputWithTheOperatorsAccuracy(readCommitted(out), labels);
    }

    @Test
    void exactlyOnceAcrossAnInjectedFailure() throws Exception {
        String in = "sql-fin-" + UUID.randomUUID().toString().substring(0, 8);
        String out = "sql-fout-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, Integer> labels = produce(in);
        FailOnceAt.FAILED.set(false);
        StreamTableEnvironment t = tableEnv(true);
        tables(t, in, out);
        t.createTemporarySystemFunction("fail_once_at", FailOnceAt.class);
        String target = labels.keySet().stream().sorted().skip(250).findFirst().orElseThrow();
        t.executeSql("INSERT INTO predictions SELECT fail_once_at(id, '" + target + "'), label, score, error FROM "
                + "ML_PREDICT(TABLE requests, MODEL digits, DESCRIPTOR(pixels), MAP['max-concurrent-operations', '64'])")
                .await();
        assertThat(FailOnceAt.FAILED.get()).as("the failure was injected").isTrue();
        assertExactlyOnePerInputWithTheOperatorsAccuracy(readCommitted(out), labels);
    }
}
