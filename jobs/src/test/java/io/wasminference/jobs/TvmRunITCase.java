package io.wasminference.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasminference.jobs.kafka.EmbeddedKafka;
import io.wasminference.jobs.kafka.KafkaTools;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code run --abi tvm-standalone}: the seed-style digits-mlp serves the Kafka job (embedded broker, local Flink,
 * exactly-once), every test sample answered, the same accuracy as the ABI v1 module.
 */
@Timeout(300)
class TvmRunITCase {
    @TempDir
    Path dir;

    @Test
    void theKafkaJobServesASeedStyleModule() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Map<String, Integer> labels = new HashMap<>();
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            KafkaTools.ensureTopics(kafka.bootstrapServers(), new Properties(), Map.of("in", 2, "out", 1, "dead", 1));
            ObjectMapper json = new ObjectMapper();
            try (KafkaProducer<byte[], byte[]> p = KafkaTools.producer(kafka.bootstrapServers(), new Properties());
                    BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(
                            getClass().getClassLoader().getResourceAsStream("samples/digits-mlp/test.jsonl.gz")),
                            StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    JsonNode n = json.readTree(line);
                    labels.put(n.get("id").asText(), n.get("label").asInt());
                    p.send(new ProducerRecord<>("in", line.getBytes(StandardCharsets.UTF_8)));
                }
            }
            int code = Main.run(new String[] {"run", "--bootstrap", kafka.bootstrapServers(), "--input-topic", "in",
                "--output-topic", "out", "--dead-letter-topic", "dead", "--group-id", "g", "--model",
                "sample:digits-mlp", "--abi", "tvm-standalone", "--bounded", "--checkpoint-ms", "500",
                "--checkpoint-dir", dir.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(out, true, StandardCharsets.UTF_8));
            assertThat(code).as(out.toString(StandardCharsets.UTF_8)).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8)).contains("model: digits-mlp:1.0.0", "job FINISHED");
            int predictions = 0;
            int correct = 0;
            try (KafkaConsumer<byte[], byte[]> c = KafkaTools.consumerFromStart(kafka.bootstrapServers(), "out")) {
                long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (predictions < labels.size() && System.nanoTime() < end) {
                    for (ConsumerRecord<byte[], byte[]> rec : c.poll(Duration.ofMillis(200))) {
                        JsonNode p = json.readTree(rec.value());
                        predictions++;
                        if (p.get("top_k").get(0).get("index").asInt() == labels.get(p.get("id").asText())) {
                            correct++;
                        }
                    }
                }
            }
            assertThat(predictions).isEqualTo(360);
            assertThat(correct).isEqualTo(354);
        }
    }
}
