package io.wasminference.jobs.metrics;

import io.wasminference.jobs.cli.JsonLines;
import io.wasminference.jobs.kafka.CheckedSender;
import io.wasminference.jobs.kafka.EmbeddedKafka;
import io.wasminference.jobs.kafka.InferenceJob;
import io.wasminference.jobs.kafka.JobArguments;
import io.wasminference.jobs.kafka.KafkaTools;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * deploy/grafana/wasm-inference.json shows what a running Kafka job exports: every metric a panel queries is in the
 * output of Flink's Prometheus reporter while the job runs, and the labels the panels group by (dead letters by
 * {@code kind}, the served {@code model_version}) carry the values the job produced.
 */
@Timeout(300)
class PrometheusDashboardITCase {
    private static final int PORT = freePort();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(prometheus())
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

    private static Configuration prometheus() {
        Configuration c = new Configuration();
        c.setString("metrics.reporter.prom.factory.class",
                "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
        c.setString("metrics.reporter.prom.port", String.valueOf(PORT));
        return c;
    }

    @Test
    void everyPanelsMetricIsExportedByARunningJob() throws Exception {
        String in = "prom-in", out = "prom-out", dead = "prom-dead";
        KafkaTools.ensureTopics(kafka.bootstrapServers(), new Properties(), Map.of(in, 2, out, 1, dead, 1));
        List<String> testSet = JsonLines.read("classpath:samples/digits-mlp/test.jsonl.gz");
        try (CheckedSender producer = new CheckedSender(kafka.bootstrapServers(), new Properties())) {
            for (String line : testSet) {
                producer.send(new ProducerRecord<>(in, null, line.getBytes(StandardCharsets.UTF_8)));
            }
            producer.send(new ProducerRecord<>(in, null, "{\"id\": \"broken".getBytes(StandardCharsets.UTF_8)));
            producer.flush();
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.build(env, JobArguments.parse("--bootstrap", kafka.bootstrapServers(),
                "--input-topic", in, "--output-topic", out, "--dead-letter-topic", dead,
                "--model", "classpath:samples/digits-mlp/model.wasm", "--group-id", "g-prom", "--parallelism", "2",
                "--bounded", "false", "--checkpoint-ms", "500", "--batch-size", "32"));
        JobClient job = env.executeAsync("prometheus dashboard");
        try {
            awaitRecords(out, testSet.size());
            String scraped = scrape();
            Set<String> exported = new TreeSet<>();
            Matcher m = Pattern.compile("(?m)^(flink_\\w+)").matcher(scraped);
            while (m.find()) {
                exported.add(m.group(1));
            }
            Set<String> queried = new TreeSet<>();
            Matcher q = Pattern.compile("flink_\\w+").matcher(
                    Files.readString(Path.of("..", "deploy", "grafana", "wasm-inference.json")));
            while (q.find()) {
                queried.add(q.group());
            }
            assertThat(queried).hasSizeGreaterThan(15);
            assertThat(exported).as("metrics the dashboard queries, exported by the running job")
                    .containsAll(queried);
            // Flink's reporter turns characters outside [a-zA-Z0-9:_] into '_' in label values
            assertThat(scraped).containsPattern(
                    "deserializer_wasmInference_kind_deadLetters\\{[^}]*kind=\"DECODE\"[^}]*\\} 1\\.0")
                    .containsPattern("wasmInference_model_version_modelInfo\\{[^}]*model_version=\"digits_mlp:1_0_0:"
                            + "09dcfda71cac9c5b[0-9a-f]{48}\"[^}]*\\} 1\\.0");
        } finally {
            job.cancel().get();
        }
    }

    private static String scrape() throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + PORT + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    private static void awaitRecords(String topic, int n) {
        long deadline = System.currentTimeMillis() + 120_000;
        int seen = 0;
        try (KafkaConsumer<byte[], byte[]> c = KafkaTools.consumerFromStart(kafka.bootstrapServers(), topic)) {
            while (seen < n && System.currentTimeMillis() < deadline) {
                seen += c.poll(Duration.ofMillis(200)).count();
            }
        }
        assertThat(seen).as("predictions of the running job").isGreaterThanOrEqualTo(n);
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
