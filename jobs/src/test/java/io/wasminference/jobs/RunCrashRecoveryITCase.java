package io.wasminference.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasminference.jobs.cli.JsonLines;
import io.wasminference.jobs.kafka.EmbeddedKafka;
import io.wasminference.jobs.kafka.KafkaTools;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A local {@code run} (its own JVM: MiniCluster, exactly-once) killed with SIGKILL mid-stream and started again with
 * the same command: the committed output must hold every input exactly once.
 */
@Timeout(600)
class RunCrashRecoveryITCase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SAMPLES = 10_000;
    private static final int MALFORMED = 20;

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
    void aRunKilledMidStreamAndStartedAgainCommitsEveryRecordExactlyOnce(@TempDir Path dir) throws Exception {
        String in = "crash-in";
        String out = "crash-out";
        String dead = "crash-dead";
        KafkaTools.ensureTopics(kafka.bootstrapServers(), new Properties(), Map.of(in, 4, out, 2, dead, 1));
        int total = produce(in);
        List<String> command = List.of("run", "--bootstrap", kafka.bootstrapServers(),
                "--input-topic", in, "--output-topic", out, "--dead-letter-topic", dead,
                "--model", "classpath:samples/fashion-lenet5/model.wasm", "--group-id", "crash-test",
                "--parallelism", "2", "--checkpoint-ms", "500", "--include-outputs", "false",
                "--checkpoint-dir", dir.resolve("checkpoints").toString());

        Map<String, Integer> seen = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaTools.consumerFromStart(kafka.bootstrapServers(), out,
                dead)) {
            int beforeKill;
            try (JobProcess first = JobProcess.start(dir.resolve("first.log"), command)) {
                // Some output committed, most of the backlog still to go: the crash lands mid-stream.
                beforeKill = pollUntil(consumer, seen, total / 10, Duration.ofMinutes(3), first);
                assertThat(beforeKill).as("committed before the kill; console:\n" + first.console())
                        .isBetween(total / 10, total - 1);
                first.kill();
            }
            try (JobProcess second = JobProcess.start(dir.resolve("second.log"), command)) {
                pollUntil(consumer, seen, total, Duration.ofMinutes(4), second);
                // Let any duplicates of the replay arrive too: a few more checkpoints of quiet.
                pollQuiet(consumer, seen, Duration.ofSeconds(6));
                String console = second.console();
                List<String> duplicated = seen.entrySet().stream().filter(e -> e.getValue() > 1)
                        .map(Map.Entry::getKey).sorted().toList();
                int committed = seen.values().stream().mapToInt(Integer::intValue).sum();
                System.out.printf("[crash] %d inputs; %d committed before the kill, %d after the restart, %d distinct, "
                        + "%d ids duplicated%n", total, beforeKill, committed, seen.size(), duplicated.size());
                System.out.println("[crash] console of the restarted run:\n" + console);
                assertThat(console).as(console).contains("resuming from checkpoint");
                assertThat(duplicated.size()).as("ids committed more than once (first: "
                        + duplicated.subList(0, Math.min(5, duplicated.size())) + "); console of the restarted run:\n"
                        + console).isZero();
                assertThat(committed).isEqualTo(total);
                assertThat(seen).hasSize(total);
            }
        }
    }

    /** Produces the test samples (distinct ids as keys) and some malformed records; returns how many. */
    private static int produce(String topic) throws Exception {
        List<String> testSet = JsonLines.read("classpath:samples/fashion-lenet5/test.jsonl.gz");
        List<Future<?>> sends = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = KafkaTools.producer(kafka.bootstrapServers(), new Properties())) {
            for (int i = 0; i < SAMPLES; i++) {
                ObjectNode line = (ObjectNode) JSON.readTree(testSet.get(i % testSet.size()));
                String id = "r-" + i;
                line.put("id", id);
                sends.add(producer.send(new ProducerRecord<>(topic, bytes(id), JSON.writeValueAsBytes(line))));
                if (i % (SAMPLES / MALFORMED) == 0) {
                    String bad = "bad-" + i;
                    sends.add(producer.send(new ProducerRecord<>(topic, bytes(bad), bytes("{\"id\": \"" + bad))));
                }
            }
            producer.flush();
            for (Future<?> f : sends) {
                f.get();
            }
        }
        return sends.size();
    }

    /** Counts committed records by key until {@code n} in all, or the time is up, or the process died. */
    private static int pollUntil(KafkaConsumer<byte[], byte[]> consumer, Map<String, Integer> seen, int n,
            Duration timeout, JobProcess process) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        int count = seen.values().stream().mapToInt(Integer::intValue).sum();
        while (count < n && System.nanoTime() < deadline) {
            assertThat(process.isAlive()).as("the run ended early; console:\n" + process.console()).isTrue();
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                seen.merge(new String(r.key(), StandardCharsets.UTF_8), 1, Integer::sum);
                count++;
            }
        }
        return count;
    }

    private static void pollQuiet(KafkaConsumer<byte[], byte[]> consumer, Map<String, Integer> seen, Duration quiet) {
        long quietSince = System.nanoTime();
        while (System.nanoTime() - quietSince < quiet.toNanos()) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                seen.merge(new String(r.key(), StandardCharsets.UTF_8), 1, Integer::sum);
                quietSince = System.nanoTime();
            }
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
