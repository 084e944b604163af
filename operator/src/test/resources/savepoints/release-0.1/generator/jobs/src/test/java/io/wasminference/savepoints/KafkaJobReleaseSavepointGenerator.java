package io.wasminference.savepoints;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasminference.jobs.cli.JsonLines;
import io.wasminference.jobs.kafka.EmbeddedKafka;
import io.wasminference.jobs.kafka.InferenceJob;
import io.wasminference.jobs.kafka.JobOptions;
import io.wasminference.jobs.kafka.KafkaTools;
import io.wasminference.model.ModelManifest;
import io.wasminference.model.ModelRepository;
import io.wasminference.model.ModelVersion;
import io.wasminference.model.ServingState;
import io.wasminference.record.ModelCommand;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.testutils.Fixtures;
import io.wasminference.testutils.WasmRewriter;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplit;
import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplitSerializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.core.io.SimpleVersionedSerialization;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.connector.kafka.sink.KafkaCommittable;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.runtime.metrics.groups.InternalSinkCommitterMetricGroup;
import org.apache.flink.runtime.metrics.groups.UnregisteredMetricGroups;
import org.apache.flink.streaming.runtime.operators.sink.committables.CommittableCollector;
import org.apache.flink.streaming.runtime.operators.sink.committables.CommittableCollectorSerializer;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Makes (and checks) a savepoint of the Kafka job ({@link InferenceJob} built from {@link JobOptions}, with a control
 * topic and a model repository) with the code of the release this runs on (665f8e1). Not a test of the build: run
 * it by name.
 *
 * <pre>
 * mvn -o -pl jobs test -Dtest=KafkaJobReleaseSavepointGenerator#generate -Dsavepoints.dir=DIR
 * mvn -o -pl jobs test -Dtest=KafkaJobReleaseSavepointGenerator#verify -Dsavepoints.dir=DIR
 * </pre>
 *
 * What {@link #generate} does, against an in-process KRaft broker and a MiniCluster:
 * <ol>
 *   <li>publishes fashion-lenet5 1.0.0 (the sample), 1.1.0 (the sample's scalar build, metadata version 1.1.0) and
 *       1.2.0 (the sample, metadata version 1.2.0) to the repository {@link #REPO} (a fixed absolute path: the
 *       locations in the state are absolute);</li>
 *   <li>runs the job serving {@code --model REPO/fashion-lenet5/1.0.0/model.wasm} with the control command
 *       {@code deploy 1.1.0} already in the control topic, waits for both subtasks to report SERVING 1.1.0, and for
 *       all {@value #RECORDS} requests (half before, half after the swap) to be committed as predictions;</li>
 *   <li>replaces 1.2.0's model.wasm with a named pipe, so preparing a deploy of 1.2.0 blocks in {@code open()} on
 *       each subtask's swap thread, sends {@code deploy 1.2.0} then {@code rollback}, waits for both swap threads
 *       to block, and triggers a canonical savepoint until every subtask's state holds both commands as pending
 *       (the deploy in flight, the rollback queued behind it);</li>
 *   <li>cancels the job, unblocks the pipe, puts 1.2.0's file back, moves the savepoint to
 *       {@code DIR/kafka-job} and copies the repository to {@code DIR/kafka-job-model-repo}.</li>
 * </ol>
 */
@Timeout(600)
class KafkaJobReleaseSavepointGenerator {
    static final String NAME = "kafka-job";
    static final Path REPO = Path.of("/tmp/wasm-inference-savepoints-release/model-repo");
    static final String INFERENCE_UID = "wasm-inference";
    static final String IN = "requests";
    static final String OUT = "predictions";
    static final String DEAD = "dead-letters";
    static final String CONTROL = "control";
    static final String STATUS = "model-status";
    static final String GROUP = "release-savepoint";
    static final int RECORDS = 200;
    static final String DEPLOY_11 = "{\"command\": \"deploy\", \"name\": \"fashion-lenet5\", \"version\": \"1.1.0\"}";
    static final String DEPLOY_12 = "{\"command\": \"deploy\", \"name\": \"fashion-lenet5\", \"version\": \"1.2.0\"}";
    static final String ROLLBACK = "{\"command\": \"rollback\", \"name\": \"fashion-lenet5\"}";
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

    @TempDir
    Path tmp;

    static JobOptions options(String bootstrap) {
        return JobOptions.parse(new String[] {"--bootstrap", bootstrap, "--input-topic", IN, "--output-topic", OUT,
            "--dead-letter-topic", DEAD, "--model", REPO.resolve("fashion-lenet5/1.0.0/model.wasm").toString(),
            "--group-id", GROUP, "--parallelism", "2", "--checkpoint-ms", "1000", "--model-repo", REPO.toString(),
            "--control-topic", CONTROL, "--status-topic", STATUS}, 0);
    }

    static Configuration conf() {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        return conf;
    }

    static void createTopics(EmbeddedKafka kafka) throws Exception {
        KafkaTools.ensureTopics(kafka.bootstrapServers(), new Properties(),
                Map.of(IN, 2, OUT, 1, DEAD, 1, CONTROL, 1, STATUS, 1));
    }

    static ModelVersion version(String v, String location) throws Exception {
        ModelManifest m = new ModelRepository(REPO.toString()).find("fashion-lenet5", v).orElseThrow();
        return new ModelVersion("fashion-lenet5", v, m.sha256(), location);
    }

    @Test
    void generate() throws Exception {
        SavepointFiles.delete(REPO);
        ModelRepository repo = new ModelRepository(REPO.toString());
        byte[] sample = Fixtures.sample("fashion-lenet5", "model.wasm");
        byte[] scalar = Fixtures.sample("fashion-lenet5", "model-scalar.wasm");
        List<String> golden = Fixtures.sampleLines("fashion-lenet5", "golden.jsonl").subList(0, 2);
        repo.publish(sample, golden, SandboxLimits.defaults());
        repo.publish(WasmRewriter.withMetadata(scalar, WasmRewriter.metadataText(scalar)
                .replace("version: 1.0.0", "version: 1.1.0")), golden, SandboxLimits.defaults());
        repo.publish(WasmRewriter.withMetadata(sample, WasmRewriter.metadataText(sample)
                .replace("version: 1.0.0", "version: 1.2.0")), golden, SandboxLimits.defaults());

        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            createTopics(kafka);
            String bootstrap = kafka.bootstrapServers();
            produceRequests(bootstrap, "a-", RECORDS / 2);
            produce(bootstrap, CONTROL, DEPLOY_11);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf());
            InferenceJob.build(env, options(bootstrap));
            JobClient job = env.executeAsync("release savepoint: " + NAME);
            String written;
            try {
                List<JsonNode> events = awaitRecords(bootstrap, STATUS, 2, 120);
                assertThat(events).hasSize(2).allSatisfy(e -> {
                    assertThat(e.get("status").asText()).isEqualTo("SERVING");
                    assertThat(e.get("serving").asText()).isEqualTo("1.1.0");
                });
                produceRequests(bootstrap, "b-", RECORDS / 2);
                List<JsonNode> predictions = awaitRecords(bootstrap, OUT, RECORDS, 120);
                assertThat(predictions).hasSize(RECORDS);
                assertThat(predictions).filteredOn(p -> p.get("id").asText().startsWith("b-"))
                        .allSatisfy(p -> assertThat(p.at("/model/version").asText()).isEqualTo("1.1.0"));

                // A deploy that cannot finish preparing (its file is a pipe nobody writes), and a rollback behind it.
                Path v12 = REPO.resolve("fashion-lenet5/1.2.0/model.wasm");
                Files.move(v12, v12.resolveSibling("model.wasm.real"));
                assertThat(new ProcessBuilder("mkfifo", v12.toString()).inheritIO().start().waitFor()).isZero();
                produce(bootstrap, CONTROL, DEPLOY_12);
                produce(bootstrap, CONTROL, ROLLBACK);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (blockedSwapThreads() < 2) {
                    assertThat(System.nanoTime()).as("swap threads blocked on the pipe").isLessThan(deadline);
                    Thread.sleep(100);
                }
                written = savepointWithPendingCommands(job);
            } finally {
                job.cancel().get(60, TimeUnit.SECONDS);
                unblockAndRestore1_2_0();
            }
            assertThat(awaitRecords(bootstrap, STATUS, 3, 5)).as("no event after the 1.1.0 swaps").hasSize(2);

            Path out = SavepointFiles.outputRoot().resolve(NAME);
            SavepointFiles.move(SavepointFiles.local(written), out);
            Path repoCopy = SavepointFiles.outputRoot().resolve(NAME + "-model-repo");
            SavepointFiles.copy(REPO, repoCopy);
            Files.writeString(out.resolve("GENERATED.txt"), "written to " + written + "\nmoved to " + out
                    + "\nmodel repository " + REPO + " copied to " + repoCopy + "\n");
            System.out.println(SavepointInspector.report(out, INFERENCE_UID));
            System.out.println(kafkaSplits(out));
            System.out.println(sinkStates(out));
            checkState(out);
        }
    }

    /** Triggers savepoints until one holds both commands as pending on every subtask (the rollback may lag). */
    private String savepointWithPendingCommands(JobClient job) throws Exception {
        for (int attempt = 1; ; attempt++) {
            String sp = job.triggerSavepoint(tmp.resolve("staging").toUri().toString(), SavepointFormatType.CANONICAL)
                    .get(120, TimeUnit.SECONDS);
            Map<Integer, List<ServingState>> state =
                    SavepointInspector.servingStates(SavepointFiles.local(sp), INFERENCE_UID);
            boolean complete = state.size() == 2 && state.values().stream().allMatch(entries -> entries.size() == 1
                    && entries.get(0).pending().equals(List.of(ModelCommand.deploy("fashion-lenet5", "1.2.0"),
                            ModelCommand.rollback("fashion-lenet5"))));
            System.out.println("savepoint attempt " + attempt + ": " + state + (complete ? "" : " (retrying)"));
            if (complete) {
                return sp;
            }
            assertThat(attempt).as("attempts").isLessThan(10);
            SavepointFiles.delete(SavepointFiles.local(sp));
            Thread.sleep(1000);
        }
    }

    private static long blockedSwapThreads() {
        return Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> e.getKey().getName().startsWith("wasm-inference-model-swap-"))
                .filter(e -> Arrays.stream(e.getValue()).anyMatch(f -> f.getClassName().equals(
                        "java.io.FileInputStream") && f.getMethodName().startsWith("open")))
                .count();
    }

    /** Opens the pipe for writing and closes it (the blocked readers see an empty file), then restores 1.2.0. */
    private static void unblockAndRestore1_2_0() throws Exception {
        Path v12 = REPO.resolve("fashion-lenet5/1.2.0/model.wasm");
        Path real = v12.resolveSibling("model.wasm.real");
        if (!Files.exists(real)) {
            return;
        }
        Thread writer = new Thread(() -> {
            try (FileOutputStream ignored = new FileOutputStream(v12.toFile())) {
                // opening releases the readers; closing at once gives them EOF
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, "unblock-pipe");
        writer.setDaemon(true);
        writer.start();
        writer.join(10_000);
        Files.delete(v12);
        Files.move(real, v12);
    }

    /** Restores the relocated savepoint against a fresh broker with the release code and checks the state. */
    @Test
    void verify() throws Exception {
        Path copy = tmp.resolve("elsewhere/" + NAME);
        SavepointFiles.copy(SavepointFiles.outputRoot().resolve(NAME), copy);
        // The repository as the savepoint's locations expect it, from the saved copy alone.
        SavepointFiles.copy(SavepointFiles.outputRoot().resolve(NAME + "-model-repo"), REPO);
        checkState(copy);
        System.out.println(kafkaSplits(copy));
        System.out.println(sinkStates(copy));

        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            createTopics(kafka);
            String bootstrap = kafka.bootstrapServers();
            produceRequests(bootstrap, "c-", 50);
            Configuration conf = conf();
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, copy.toUri().toString());
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            InferenceJob.build(env, options(bootstrap));
            JobClient job = env.executeAsync("restore " + NAME);
            try {
                // The pending commands run again: deploy 1.2.0 (after 1.1.0), then the rollback to 1.1.0.
                List<JsonNode> events = awaitRecords(bootstrap, STATUS, 4, 120);
                System.out.println("events after restore: " + events);
                assertThat(events).hasSize(4);
                for (int subtask : List.of(0, 1)) {
                    List<String> mine = events.stream().filter(e -> e.get("subtask").asInt() == subtask)
                            .map(e -> e.get("status").asText() + " " + e.get("command").asText() + " "
                                    + e.get("previous").asText() + "->" + e.get("serving").asText())
                            .toList();
                    assertThat(mine).as("subtask %d", subtask).containsExactly(
                            "SERVING deploy fashion-lenet5:1.2.0 1.1.0->1.2.0",
                            "SERVING rollback fashion-lenet5 1.2.0->1.1.0");
                }
                List<JsonNode> predictions = awaitRecords(bootstrap, OUT, 50, 120);
                assertThat(predictions).hasSize(50).allSatisfy(p -> assertThat(p.at("/model/version").asText())
                        .isIn("1.1.0", "1.2.0"));

                // The rest of the history: one more rollback reaches 1.0.0, the next finds nothing earlier.
                produce(bootstrap, CONTROL, ROLLBACK);
                List<JsonNode> more = awaitRecords(bootstrap, STATUS, 6, 120).subList(4, 6);
                assertThat(more).allSatisfy(e -> {
                    assertThat(e.get("status").asText()).isEqualTo("SERVING");
                    assertThat(e.get("serving").asText()).isEqualTo("1.0.0");
                    assertThat(e.get("previous").asText()).isEqualTo("1.1.0");
                });
                produce(bootstrap, CONTROL, ROLLBACK);
                List<JsonNode> last = awaitRecords(bootstrap, STATUS, 8, 120).subList(6, 8);
                assertThat(last).allSatisfy(e -> {
                    assertThat(e.get("status").asText()).isEqualTo("IGNORED");
                    assertThat(e.get("reason").asText()).contains("no earlier version");
                });
                produceRequests(bootstrap, "d-", 50);
                List<JsonNode> after = awaitRecords(bootstrap, OUT, 100, 120);
                assertThat(after).hasSize(100).filteredOn(p -> p.get("id").asText().startsWith("d-")).hasSize(50)
                        .allSatisfy(p -> assertThat(p.at("/model/version").asText()).isEqualTo("1.0.0"));
                assertThat(awaitRecords(bootstrap, DEAD, 1, 3)).isEmpty();
            } finally {
                job.cancel().get(60, TimeUnit.SECONDS);
            }
        }
    }

    static void checkState(Path savepoint) throws Exception {
        ModelVersion v10 = version("1.0.0", REPO.resolve("fashion-lenet5/1.0.0/model.wasm").toString());
        ModelVersion v11 = version("1.1.0", "file:" + REPO.resolve("fashion-lenet5/1.1.0/model.wasm"));
        Map<Integer, List<ServingState>> state = SavepointInspector.servingStates(savepoint, INFERENCE_UID);
        assertThat(state).containsOnlyKeys(0, 1);
        state.forEach((subtask, entries) -> assertThat(entries).containsExactly(new ServingState(subtask,
                List.of(v10, v11), List.of(ModelCommand.deploy("fashion-lenet5", "1.2.0"),
                        ModelCommand.rollback("fashion-lenet5")))));
    }

    /** The Kafka splits (topic, partition, next offset) in the sources' state. */
    static String kafkaSplits(Path savepoint) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (String uid : List.of("kafka-source", "kafka-control")) {
            Map<Integer, List<byte[]>> splits = SavepointInspector.listState(savepoint, uid, "SourceReaderState");
            for (Map.Entry<Integer, List<byte[]>> e : new TreeMap<>(splits).entrySet()) {
                for (byte[] b : e.getValue()) {
                    KafkaPartitionSplit split = SimpleVersionedSerialization.readVersionAndDeSerialize(
                            new KafkaPartitionSplitSerializer(), b);
                    sb.append(uid).append(" subtask ").append(e.getKey()).append(": ").append(split).append('\n');
                }
            }
        }
        return sb.toString();
    }

    /** The Kafka sinks' writer and committer states, decoded with the connector's own serializers. */
    static String sinkStates(Path savepoint) throws Exception {
        KafkaSink<String> sink = KafkaSink.<String>builder().setBootstrapServers("unused:9092")
                .setRecordSerializer(KafkaRecordSerializationSchema.builder().setTopic("unused")
                        .setValueSerializationSchema(new SimpleStringSchema()).build())
                .build();
        StringBuilder sb = new StringBuilder();
        for (String name : List.of("kafka-predictions", "kafka-dead-letters", "kafka-status")) {
            Map<Integer, List<byte[]>> writer = SavepointInspector.listState(savepoint, name, "writer_raw_states");
            for (Map.Entry<Integer, List<byte[]>> e : writer.entrySet()) {
                for (byte[] b : e.getValue()) {
                    sb.append(name).append(" writer subtask ").append(e.getKey()).append(": ").append(
                            SimpleVersionedSerialization.readVersionAndDeSerialize(sink.getWriterStateSerializer(), b))
                            .append('\n');
                }
            }
            Map<Integer, List<byte[]>> committer = SavepointInspector.listState(savepoint, "Sink Committer: " + name,
                    "streaming_committer_raw_states");
            for (Map.Entry<Integer, List<byte[]>> e : committer.entrySet()) {
                CommittableCollectorSerializer<KafkaCommittable> serializer = new CommittableCollectorSerializer<>(
                        sink.getCommittableSerializer(), e.getKey(), 2, InternalSinkCommitterMetricGroup.wrap(
                                UnregisteredMetricGroups.createUnregisteredOperatorMetricGroup()));
                for (byte[] b : e.getValue()) {
                    CommittableCollector<KafkaCommittable> c =
                            SimpleVersionedSerialization.readVersionAndDeSerialize(serializer, b);
                    sb.append(name).append(" committer subtask ").append(e.getKey()).append(": ")
                            .append(c.getCheckpointCommittablesUpTo(Long.MAX_VALUE).size())
                            .append(" checkpoint(s) with committables ").append(c).append('\n');
                }
            }
        }
        return sb.toString();
    }

    private static void produce(String bootstrap, String topic, String value) throws Exception {
        try (KafkaProducer<byte[], byte[]> p = KafkaTools.producer(bootstrap, new Properties())) {
            p.send(new ProducerRecord<>(topic, null, value.getBytes(StandardCharsets.UTF_8))).get();
        }
    }

    private static void produceRequests(String bootstrap, String idPrefix, int n) throws Exception {
        List<String> testSet = JsonLines.read("classpath:samples/fashion-lenet5/test.jsonl.gz");
        try (KafkaProducer<byte[], byte[]> p = KafkaTools.producer(bootstrap, new Properties())) {
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
