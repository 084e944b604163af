package io.wasminference.jobs;

import io.wasminference.jobs.kafka.EmbeddedKafka;
import io.wasminference.jobs.kafka.KafkaTools;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code run} as a new user meets it, in this JVM against a real KRaft broker: mistakes fail at once and loudly. */
@Timeout(300)
class RunCommandITCase {
    private static EmbeddedKafka kafka;

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeAll
    static void startKafka() throws Exception {
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stopKafka() throws Exception {
        kafka.close();
    }

    private int run(String... args) throws Exception {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String console() {
        return out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
    }

    private List<String> runArgs(String in, String model, String... extra) {
        String id = in.substring(3);
        List<String> args = new ArrayList<>(List.of("run", "--bootstrap", kafka.bootstrapServers(),
                "--input-topic", in, "--output-topic", "out-" + id, "--dead-letter-topic", "dead-" + id,
                "--group-id", "g-" + id, "--model", model, "--bounded", "--checkpoint-ms", "500",
                "--checkpoint-dir", dir.toString()));
        args.addAll(List.of(extra));
        return args;
    }

    private static String topics() throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        KafkaTools.ensureTopics(kafka.bootstrapServers(), new Properties(),
                Map.of("in-" + id, 2, "out-" + id, 1, "dead-" + id, 1));
        return "in-" + id;
    }

    @Test
    void theBundledSampleRunsAsTheReadmeSays() throws Exception {
        String in = topics();
        try (KafkaProducer<byte[], byte[]> p = KafkaTools.producer(kafka.bootstrapServers(), new Properties())) {
            p.send(new ProducerRecord<>(in, ("{\"id\": \"a\", \"shape\": [28, 28], \"dtype\": \"u8\", \"data\": ["
                    + "0, ".repeat(783) + "0]}").getBytes(StandardCharsets.UTF_8))).get();
        }
        int code = run(runArgs(in, "sample:fashion-lenet5").toArray(String[]::new));
        assertThat(code).as(console()).isZero();
        assertThat(console()).contains("model: fashion-lenet5:1.0.0", "job FINISHED");
    }

    @Test
    void aModelTheSandboxRefusesIsRefusedBeforeSubmitting() throws Exception {
        String in = topics();
        Path hostile = Path.of("..", "operator", "src", "test", "resources", "wasm", "wasi_import.wasm");
        int code = run(runArgs(in, hostile.toString()).toArray(String[]::new));
        assertThat(code).as(console()).isEqualTo(2);
        assertThat(console()).contains("error (REFUSED)", "wasi_snapshot_preview1.fd_write")
                .doesNotContain("submitting").doesNotContain("\tat ");
    }

    @Test
    void anUnknownSampleOrAMissingInputTopicIsRefusedBeforeSubmitting() throws Exception {
        int code = run(runArgs("in-" + UUID.randomUUID().toString().substring(0, 8), "sample:fashion-lenet5")
                .toArray(String[]::new));
        assertThat(code).as(console()).isEqualTo(2);
        assertThat(console()).contains("the input topic in-", "does not exist at " + kafka.bootstrapServers())
                .doesNotContain("submitting");

        out.reset();
        err.reset();
        code = run(runArgs(topics(), "sample:no-such-model").toArray(String[]::new));
        assertThat(code).as(console()).isEqualTo(64);
        assertThat(console()).contains("unknown sample 'no-such-model'", "sample:fashion-lenet5, sample:digits-mlp")
                .doesNotContain("submitting");
    }

    @Test
    void aLocalRunPrintsItsFailuresAndStopsAfterTheRestartLimit() throws Exception {
        String in = topics();
        try (KafkaProducer<byte[], byte[]> p = KafkaTools.producer(kafka.bootstrapServers(), new Properties())) {
            p.send(new ProducerRecord<>(in, "not json".getBytes(StandardCharsets.UTF_8))).get();
        }
        // Every write of the sinks fails: a failure only the running job can meet.
        int code = run(runArgs(in, "sample:digits-mlp", "--restart-attempts", "1", "--restart-delay-ms", "100",
                "--kafka.max.request.size", "100").toArray(String[]::new));
        assertThat(code).as(console()).isEqualTo(1);
        assertThat(console()).contains("failure 1 at", "RecordTooLargeException", "job RESTARTING", "job FAILED",
                "at most 1 restarts");
    }
}
