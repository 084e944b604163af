package io.wasminference.jobs.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasminference.jobs.cli.JsonLines;
import io.wasminference.testutils.ReleaseSavepoints;
import io.wasminference.testutils.TestEnvironments;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The savepoint of the Kafka job taken with release 0.1 (operator test resources {@code savepoints/release-0.1/},
 * see the README there) restores in this code, against a fresh KRaft broker.
 *
 * <p>The release job served fashion-lenet5 1.0.0 (the {@code --model}), switched to 1.1.0 by a deploy command, and
 * was savepointed while a deploy of 1.2.0 was being prepared with a rollback queued behind it. Its inference state
 * (uid {@code wasm-inference}) holds, on both subtasks, the history [1.0.0 (a plain path), 1.1.0 (a file: URI)]
 * and those two pending commands; its Kafka sources are at requests-0@116, requests-1@84 and control-0@3, beyond
 * the ends of the fresh topics, so they restart from the earliest offsets (few records are produced before the
 * start for that reason).
 */
@Timeout(300)
class KafkaJobReleaseSavepointITCase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String IN = "requests";
    private static final String OUT = "predictions";
    private static final String DEAD = "dead-letters";
    private static final String CONTROL = "control";
    private static final String STATUS = "model-status";
    private static final String ROLLBACK = "{\"command\": \"rollback\", \"name\": \"fashion-lenet5\"}";

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

    @TempDir
    Path tmp;

    /** The release's arguments; its uids and its control-topic wiring must still hold the state. */
    private static JobOptions options(String bootstrap, Path repo) {
        return JobArguments.parse("--bootstrap", bootstrap, "--input-topic", IN, "--output-topic", OUT,
            "--dead-letter-topic", DEAD, "--model", repo.resolve("fashion-lenet5/1.0.0/model.wasm").toString(),
            "--group-id", "release-savepoint", "--parallelism", "2", "--checkpoint-ms", "1000",
            "--model-repo", repo.toString(), "--control-topic", CONTROL, "--status-topic", STATUS);
    }

    @Test
    void thePendingCommandsAreReplayedAndTheHistoryIsTheCheckpointedOne() throws Exception {
        Path repo = ReleaseSavepoints.installKafkaJobModelRepo();
        Path savepoint = ReleaseSavepoints.copy(ReleaseSavepoints.KAFKA_JOB, tmp.resolve("kafka-job"));
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            String bootstrap = kafka.bootstrapServers();
            KafkaTools.ensureTopics(bootstrap, new Properties(),
                    Map.of(IN, 2, OUT, 1, DEAD, 1, CONTROL, 1, STATUS, 1));
            produceRequests(bootstrap, "c-", 50);

            Configuration conf = new Configuration();
            conf.set(PipelineOptions.GENERIC_TYPES, false);
            conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint.toUri().toString());
            StreamExecutionEnvironment env = TestEnvironments.env(conf);
            InferenceJob.build(env, options(bootstrap, repo));
            JobClient job = env.executeAsync("restore the release savepoint of the Kafka job");
            try {
                // The control topic is empty: these come from the restored pending commands, applied on top of the
                // restored current version 1.1.0 (not the configured 1.0.0).
                List<JsonNode> events = awaitRecords(bootstrap, STATUS, 4, 120);
                assertThat(events).hasSize(4);
                for (int subtask : List.of(0, 1)) {
                    assertThat(events.stream().filter(e -> e.get("subtask").asInt() == subtask)
                            .map(KafkaJobReleaseSavepointITCase::describe)).as("subtask %d", subtask).containsExactly(
                                    "SERVING deploy fashion-lenet5:1.2.0 1.1.0->1.2.0",
                                    "SERVING rollback fashion-lenet5 1.2.0->1.1.0");
                }
                List<JsonNode> predictions = awaitRecords(bootstrap, OUT, 50, 120);
                assertThat(predictions).hasSize(50).allSatisfy(p -> assertThat(p.at("/model/version").asText())
                        .isIn("1.1.0", "1.2.0"));

                // The rest of the restored history: one more rollback reaches 1.0.0, the next finds nothing earlier.
                produce(bootstrap, CONTROL, ROLLBACK);
                assertThat(awaitRecords(bootstrap, STATUS, 6, 120).subList(4, 6)).extracting(
                        KafkaJobReleaseSavepointITCase::describe).containsExactly(
                                "SERVING rollback fashion-lenet5 1.1.0->1.0.0",
                                "SERVING rollback fashion-lenet5 1.1.0->1.0.0");
                produce(bootstrap, CONTROL, ROLLBACK);
                assertThat(awaitRecords(bootstrap, STATUS, 8, 120).subList(6, 8)).allSatisfy(e -> {
                    assertThat(describe(e)).isEqualTo("IGNORED rollback fashion-lenet5 1.0.0->1.0.0");
                    assertThat(e.get("reason").asText()).contains("no earlier version");
                });

                // Processing continues, on the version the rollbacks reached.
                produceRequests(bootstrap, "d-", 50);
                List<JsonNode> after = awaitRecords(bootstrap, OUT, 100, 120);
                assertThat(after).hasSize(100);
                assertThat(after).filteredOn(p -> p.get("id").asText().startsWith("d-")).hasSize(50)
                        .allSatisfy(p -> assertThat(p.at("/model/version").asText()).isEqualTo("1.0.0"));
                assertThat(awaitRecords(bootstrap, DEAD, 1, 3)).isEmpty();
            } finally {
                job.cancel().get(60, TimeUnit.SECONDS);
            }
        }
    }

    private static String describe(JsonNode event) {
        return event.get("status").asText() + " " + event.get("command").asText() + " "
                + event.get("previous").asText() + "->" + event.get("serving").asText();
    }

    private static void produce(String bootstrap, String topic, String value) throws Exception {
        try (CheckedSender p = new CheckedSender(bootstrap, new Properties())) {
            p.send(new ProducerRecord<>(topic, null, value.getBytes(StandardCharsets.UTF_8))).get();
        }
    }

    private static void produceRequests(String bootstrap, String idPrefix, int n) throws Exception {
        List<String> testSet = JsonLines.read("classpath:samples/fashion-lenet5/test.jsonl.gz");
        try (CheckedSender p = new CheckedSender(bootstrap, new Properties())) {
            for (int i = 0; i < n; i++) {
                ObjectNode node = (ObjectNode) JSON.readTree(testSet.get(i));
                node.put("id", idPrefix + i);
                p.send(new ProducerRecord<>(IN, null, JSON.writeValueAsBytes(node))).get();
            }
        }
    }

    /** Polls a topic (read_committed) until it holds at least {@code n} records or the time is up. */
    private static List<JsonNode> awaitRecords(String bootstrap, String topic, int n, int seconds) throws Exception {
        long deadline = System.currentTimeMillis() + seconds * 1000L;
        List<JsonNode> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = KafkaTools.consumerFromStart(bootstrap, topic)) {
            while (out.size() < n && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    out.add(JSON.readTree(r.value()));
                }
            }
        }
        return out;
    }
}
