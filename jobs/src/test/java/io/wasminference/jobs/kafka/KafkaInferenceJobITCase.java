package io.wasminference.jobs.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasminference.abi.DType;
import io.wasminference.format.BinaryPredictionCodec;
import io.wasminference.format.BinaryTensorCodec;
import io.wasminference.jobs.cli.JsonLines;
import io.wasminference.record.Prediction;
import io.wasminference.tensor.Tensor;
import io.wasminference.testutils.FailOnce;
import io.wasminference.testutils.TestEnvironments;
import io.wasminference.testutils.WasmRewriter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The production job against a real KRaft broker and a Flink MiniCluster; no mocks. */
@Timeout(300)
class KafkaInferenceJobITCase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MODEL = "classpath:samples/digits-mlp/model.wasm";

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka() throws Exception {
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stopKafka() throws Exception {
        kafka.close();
    }

    @Test
    void binaryPredictionsCarryTheVerdictAndTheOutputs() throws Exception {
        Topics t = topics();
        List<String> testSet = JsonLines.read("classpath:samples/digits-mlp/test.jsonl.gz");
        Map<String, Integer> labels = new HashMap<>();
        try (CheckedSender producer = new CheckedSender(kafka.bootstrapServers(), new Properties())) {
            for (String line : testSet) {
                JsonNode node = JSON.readTree(line);
                labels.put(node.get("id").asText(), node.get("label").asInt());
                producer.send(new ProducerRecord<>(t.in, null, line.getBytes(StandardCharsets.UTF_8)));
            }
        }
        StreamExecutionEnvironment env = TestEnvironments.env();
        InferenceJob.build(env, options(t, "--output-format", "binary", "--top-k", "2"));
        env.execute("binary predictions");

        List<ConsumerRecord<byte[], byte[]>> records = readRecords(t.out);
        assertThat(records).hasSize(testSet.size());
        int correct = 0;
        for (ConsumerRecord<byte[], byte[]> r : records) {
            Prediction p = BinaryPredictionCodec.decode(r.value());
            assertThat(p.topK()).hasSize(2);
            assertThat(p.outputs().get("logits").shape()).containsExactly(10);
            assertThat(p.modelName()).isEqualTo("digits-mlp");
            correct += p.top1().index() == labels.get(p.id()) ? 1 : 0;
        }
        assertThat(correct).as("the operator's accuracy on the digits test set").isEqualTo(354);
    }

    @Test
    void nRecordsInGiveExactlyNPredictionsAcrossAFailure() throws Exception {
        Topics t = topics();
        List<String> testSet = JsonLines.read("classpath:samples/digits-mlp/test.jsonl.gz");
        int n = 3000;
        try (CheckedSender producer = new CheckedSender(kafka.bootstrapServers(), new Properties())) {
            for (int i = 0; i < n; i++) {
                JsonNode line = JSON.readTree(testSet.get(i % testSet.size()));
                ((com.fasterxml.jackson.databind.node.ObjectNode) line).put("id", "r-" + i);
                producer.send(new ProducerRecord<>(t.in, null, JSON.writeValueAsBytes(line))).get();
            }
        }
        FailOnce.reset();
        StreamExecutionEnvironment env = TestEnvironments.env(FailOnce.restartingJob());
        InferenceJob.build(env, options(t, "--checkpoint-ms", "300"),
                s -> s.map(new FailOnce<Prediction>(1000)).returns(Prediction.class).name("fail-once"));
        env.execute("exactly-once");

        assertThat(FailOnce.failed()).isTrue();
        List<JsonNode> predictions = readAll(t.out);
        assertThat(predictions).hasSize(n);
        assertThat(predictions.stream().map(p -> p.get("id").asText()).distinct().count()).isEqualTo(n);
        assertThat(readAll(t.dead)).isEmpty();
    }

    @Test
    void malformedRecordsEndInTheDeadLetterTopicAndTheRestAreIntactAndAccurate() throws Exception {
        Topics t = topics();
        List<String> testSet = JsonLines.read("classpath:samples/digits-mlp/test.jsonl.gz");
        Map<String, Integer> labels = new HashMap<>();
        Map<String, String> bad = new HashMap<>(); // key -> expected reason fragment
        try (CheckedSender producer = new CheckedSender(kafka.bootstrapServers(), new Properties())) {
            for (String line : testSet) {
                JsonNode node = JSON.readTree(line);
                labels.put(node.get("id").asText(), node.get("label").asInt());
                producer.send(new ProducerRecord<>(t.in, null, null, key(node.get("id").asText()),
                        line.getBytes(StandardCharsets.UTF_8),
                        List.of(new RecordHeader("trace-id", ("t-" + node.get("id").asText()).getBytes()))));
            }
            float[] pixels = new float[64];
            Arrays.fill(pixels, 3f);
            Tensor good = Tensor.ofFloats(new int[] {64}, pixels);
            pixels[10] = Float.NaN;
            Tensor nan = Tensor.ofFloats(new int[] {64}, pixels);
            Map<String, byte[]> malformed = new HashMap<>();
            malformed.put("malformed-json", "{\"id\": \"x\", \"data\": [1, 2".getBytes());
            malformed.put("wrong-shape", "{\"shape\": [8, 9], \"data\": [1]}".getBytes());
            malformed.put("wrong-dtype", "{\"dtype\": \"u8\", \"data\": [1]}".getBytes());
            malformed.put("not-a-number", ("{\"data\": [" + "1, ".repeat(63) + "\"a\"]}").getBytes());
            malformed.put("empty", new byte[0]);
            malformed.put("oversized", new byte[600_000]);
            malformed.put("truncated-binary", Arrays.copyOf(BinaryTensorCodec.encode("t", Map.of("pixels", good)), 50));
            malformed.put("nan-binary", BinaryTensorCodec.encode("n", Map.of("pixels", nan)));
            malformed.put("wrong-binary-dtype", BinaryTensorCodec.encode("d",
                    Map.of("pixels", Tensor.wrap(DType.U8, new int[] {64}, new byte[64]))));
            bad.put("malformed-json", "malformed JSON");
            bad.put("wrong-shape", "has shape [8, 9] but the model expects [64]");
            bad.put("wrong-dtype", "has dtype u8 but the model expects f32");
            bad.put("not-a-number", "value 63 is \"a\", not a number");
            bad.put("empty", "empty record value");
            bad.put("oversized", "exceeds the limit of 500000 bytes");
            bad.put("truncated-binary", "truncated binary record");
            bad.put("nan-binary", "is NaN or infinite");
            bad.put("wrong-binary-dtype", "has dtype u8 but the model expects f32");
            for (Map.Entry<String, byte[]> e : malformed.entrySet()) {
                producer.send(new ProducerRecord<>(t.in, key(e.getKey()), e.getValue()));
            }
        }
        StreamExecutionEnvironment env = TestEnvironments.env();
        InferenceJob.build(env, options(t, "--max-record-bytes", "500000"));
        env.execute("malformed");

        List<ConsumerRecord<byte[], byte[]>> predictions = readRecords(t.out);
        List<ConsumerRecord<byte[], byte[]>> dead = readRecords(t.dead);
        assertThat(predictions.size() + dead.size()).isEqualTo(testSet.size() + bad.size());
        assertThat(dead).hasSize(bad.size());
        for (ConsumerRecord<byte[], byte[]> r : dead) {
            String key = new String(r.key(), StandardCharsets.UTF_8);
            JsonNode d = JSON.readTree(r.value());
            assertThat(d.at("/error/kind").asText()).isEqualTo("DECODE");
            assertThat(d.at("/error/reason").asText()).as(key).contains(bad.get(key));
            assertThat(d.get("source").asText()).startsWith(t.in + "/");
            if (!key.equals("empty")) {
                assertThat(d.get("payload_base64").asText()).as("original bytes of " + key).isNotEmpty();
            }
        }
        int correct = 0;
        for (ConsumerRecord<byte[], byte[]> r : predictions) {
            JsonNode p = JSON.readTree(r.value());
            String id = p.get("id").asText();
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(id);
            assertThat(new String(r.headers().lastHeader("trace-id").value())).isEqualTo("t-" + id);
            assertThat(new String(r.headers().lastHeader("wasm-inference-model").value())).isEqualTo("digits-mlp:1.0.0");
            assertThat(p.at("/outputs/logits/data")).hasSize(10);
            if (p.at("/top_k/0/index").asInt() == labels.get(id)) {
                correct++;
            }
        }
        JsonNode report = JSON.readTree(getClass().getResourceAsStream("/samples/digits-mlp/training-report.json"));
        assertThat(correct).isEqualTo(report.get("framework_correct").asInt());
    }

    /**
     * A bad record under --max-record-bytes but near Kafka's message limit: its dead letter (base64 grows it by a
     * third) must still fit the producer's default max.request.size, or the sink fails the job, which reads the same
     * record again after every restart.
     */
    @Test
    void aHugeBadRecordBecomesABoundedDeadLetterAndTheJobDoesNotLoop() throws Exception {
        Topics t = topics();
        List<String> testSet = JsonLines.read("classpath:samples/digits-mlp/test.jsonl.gz");
        StringBuilder huge = new StringBuilder("{\"id\": \"huge\", \"data\": [");
        while (huge.length() < 800_000) {
            huge.append("1.25, ");
        }
        byte[] bad = huge.toString().getBytes(StandardCharsets.UTF_8); // never closed: malformed JSON
        produceLines(t.in, testSet, "");
        try (CheckedSender producer = new CheckedSender(kafka.bootstrapServers(), new Properties())) {
            producer.send(new ProducerRecord<>(t.in, key("huge"), bad)).get();
        }
        StreamExecutionEnvironment env = TestEnvironments.env(FailOnce.restartingJob());
        InferenceJob.build(env, options(t)); // --max-record-bytes: the default 4 MiB, the record is under it
        env.execute("huge dead letter");

        assertThat(readRecords(t.out)).hasSize(testSet.size());
        List<ConsumerRecord<byte[], byte[]>> dead = readRecords(t.dead);
        assertThat(dead).hasSize(1);
        byte[] value = dead.get(0).value();
        assertThat(value.length).isLessThan(400_000);
        JsonNode d = JSON.readTree(value);
        assertThat(d.at("/error/kind").asText()).isEqualTo("DECODE");
        assertThat(d.get("payload_truncated").asBoolean()).isTrue();
        assertThat(d.get("payload_bytes").asInt()).isEqualTo(bad.length);
        byte[] kept = java.util.Base64.getDecoder().decode(d.get("payload_base64").asText());
        assertThat(kept).hasSize(JobOptionsTest.DEFAULT_DEAD_LETTER_PAYLOAD_BYTES)
                .isEqualTo(Arrays.copyOf(bad, kept.length));
    }

    @Test
    void aControlTopicSwapsTheModelAndTheStatusTopicTellsWhatHappened(@org.junit.jupiter.api.io.TempDir
            java.nio.file.Path dir) throws Exception {
        Topics t = topics();
        String control = t.in + "-control";
        String status = t.in + "-status";
        KafkaTools.ensureTopics(kafka.bootstrapServers(), new Properties(), Map.of(control, 1, status, 1));
        // A space and a '#' in the repository's path: published versions must still deploy.
        java.nio.file.Path root = java.nio.file.Files.createDirectories(dir.resolve("models #1 (shared)"));
        io.wasminference.model.ModelRepository repo = new io.wasminference.model.ModelRepository(root.toString());
        byte[] v1 = getClass().getResourceAsStream("/samples/digits-mlp/model.wasm").readAllBytes();
        byte[] scalar = getClass().getResourceAsStream("/samples/digits-mlp/model-scalar.wasm").readAllBytes();
        byte[] v2 = WasmRewriter.withMetadata(scalar,
                WasmRewriter.metadataText(scalar).replace("version: 1.0.0", "version: 2.0.0"));
        byte[] v3 = WasmRewriter.withMetadata(scalar,
                WasmRewriter.metadataText(scalar).replace("version: 1.0.0", "version: 3.0.0"));
        // The job trusts one key: 2.0.0 is signed with it, 3.0.0 is not signed at all.
        java.security.KeyPair key = io.wasminference.signing.Ed25519Keys.generate();
        java.nio.file.Path trusted = java.nio.file.Files.writeString(dir.resolve("trusted.pem"),
                io.wasminference.signing.Ed25519Keys.toPem(key.getPublic()));
        var m1 = repo.publish(v1, List.of(), io.wasminference.runtime.SandboxLimits.defaults());
        repo.publish(v2, List.of(), io.wasminference.runtime.SandboxLimits.defaults(), key.getPrivate());
        repo.publish(v3, List.of(), io.wasminference.runtime.SandboxLimits.defaults());

        List<String> testSet = JsonLines.read("classpath:samples/digits-mlp/test.jsonl.gz");
        produceLines(t.in, testSet, "a-");
        try (CheckedSender producer = new CheckedSender(kafka.bootstrapServers(), new Properties())) {
            for (String command : List.of("{\"command\": \"deploy\"", // not even JSON
                    "{\"command\": \"deploy\", \"name\": \"digits-mlp\", \"version\": \"x\\\\..\\\\..\\\\outside\"}",
                    "{\"command\": \"deploy\", \"name\": \"digits-mlp\", \"version\": \"9.9.9\"}",
                    "{\"command\": \"deploy\", \"name\": \"digits-mlp\", \"version\": \"3.0.0\"}",
                    "{\"command\": \"deploy\", \"name\": \"digits-mlp\", \"version\": \"2.0.0\"}")) {
                producer.send(new ProducerRecord<>(control, null, command.getBytes(StandardCharsets.UTF_8))).get();
            }
        }
        StreamExecutionEnvironment env = TestEnvironments.env();
        InferenceJob.build(env, options(t, "--bounded", "false", "--model", repo.ref(m1).location(),
                "--model-repo", repo.root(), "--control-topic", control, "--status-topic", status,
                "--trusted-keys", trusted.toString()));
        var job = env.executeAsync("hot swap");
        try {
            List<JsonNode> events = awaitRecords(status, 8, 120);
            assertThat(events).filteredOn(e -> e.get("status").asText().equals("INVALID")).hasSize(2);
            assertThat(events).filteredOn(e -> e.get("status").asText().equals("INVALID")
                    && e.get("reason").asText().contains("'version' must be a model version")).hasSize(1);
            assertThat(events).filteredOn(e -> e.get("status").asText().equals("REFUSED")
                    && e.get("reason").asText().contains("9.9.9 is not published")).hasSize(2);
            assertThat(events).filteredOn(e -> e.get("status").asText().equals("REFUSED")
                    && e.get("reason").asText().contains("digits-mlp:3.0.0 is not signed")).hasSize(2);
            List<JsonNode> serving = events.stream()
                    .filter(e -> e.get("status").asText().equals("SERVING")).toList();
            assertThat(serving).hasSize(2).allSatisfy(e -> {
                assertThat(e.get("serving").asText()).isEqualTo("2.0.0");
                assertThat(e.get("previous").asText()).isEqualTo("1.0.0");
            });
            // Every subtask serves 2.0.0 now: what is produced from here on is answered by it.
            produceLines(t.in, testSet, "b-");
            List<JsonNode> predictions = awaitRecords(t.out, 2 * testSet.size(), 120);
            assertThat(predictions).hasSize(2 * testSet.size());
            assertThat(predictions).filteredOn(p -> p.get("id").asText().startsWith("b-"))
                    .hasSize(testSet.size())
                    .allSatisfy(p -> assertThat(p.at("/model/version").asText()).isEqualTo("2.0.0"));
        } finally {
            job.cancel().get();
        }
    }

    private static void produceLines(String topic, List<String> lines, String idPrefix) throws Exception {
        try (CheckedSender producer = new CheckedSender(kafka.bootstrapServers(), new Properties())) {
            for (String line : lines) {
                JsonNode node = JSON.readTree(line);
                ((com.fasterxml.jackson.databind.node.ObjectNode) node).put("id", idPrefix + node.get("id").asText());
                producer.send(new ProducerRecord<>(topic, null, JSON.writeValueAsBytes(node))).get();
            }
        }
    }

    /** Polls a topic (read_committed) until it holds at least {@code n} records or the time is up. */
    private static List<JsonNode> awaitRecords(String topic, int n, int seconds) throws Exception {
        long deadline = System.currentTimeMillis() + seconds * 1000L;
        List<JsonNode> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = KafkaTools.consumerFromStart(kafka.bootstrapServers(), topic)) {
            while (out.size() < n && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    out.add(JSON.readTree(r.value()));
                }
            }
        }
        return out;
    }

    private record Topics(String in, String out, String dead) {}

    private static Topics topics() throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        Topics t = new Topics("in-" + id, "out-" + id, "dead-" + id);
        KafkaTools.ensureTopics(kafka.bootstrapServers(), new Properties(), Map.of(t.in, 4, t.out, 2, t.dead, 1));
        return t;
    }

    private static JobOptions options(Topics t, String... extra) {
        List<String> args = new ArrayList<>(List.of("--bootstrap", kafka.bootstrapServers(), "--input-topic", t.in,
                "--output-topic", t.out, "--dead-letter-topic", t.dead, "--model", MODEL, "--group-id", "g-" + t.in,
                "--parallelism", "2", "--bounded", "true", "--checkpoint-ms", "500", "--batch-size", "32"));
        args.addAll(List.of(extra));
        return JobArguments.parse(args.toArray(String[]::new));
    }

    private static byte[] key(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<JsonNode> readAll(String topic) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : readRecords(topic)) {
            out.add(JSON.readTree(r.value()));
        }
        return out;
    }

    /** Every committed record of a topic (read_committed), read until it stays quiet for two seconds. */
    private static List<ConsumerRecord<byte[], byte[]>> readRecords(String topic) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = KafkaTools.consumerFromStart(kafka.bootstrapServers(), topic)) {
            long quietSince = System.currentTimeMillis();
            while (System.currentTimeMillis() - quietSince < 2000) {
                var records = c.poll(Duration.ofMillis(200));
                if (!records.isEmpty()) {
                    records.forEach(out::add);
                    quietSince = System.currentTimeMillis();
                }
            }
        }
        return out;
    }

    static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }
}
