package io.wasminference.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasminference.format.BinaryPredictionCodec;
import io.wasminference.jobs.kafka.KafkaTools;
import io.wasminference.record.ClassScore;
import io.wasminference.record.Prediction;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code consume}: tails a topic of predictions or dead letters in readable form (read_committed). */
@Command(name = "consume",
        customSynopsis = "${COMMAND-FULL-NAME} --bootstrap HOST:PORT --topic TOPIC [OPTION]...",
        description = {
    "Print the predictions or dead letters of a topic, readably.",
    "",
    "Reads from the beginning, committed records only (read_committed); stops after --max records or --idle-s "
        + "seconds without new ones."})
final class ConsumeCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PrintStream out;

    @Option(names = "--bootstrap", required = true, paramLabel = "HOST:PORT", description = "Kafka bootstrap servers")
    String bootstrap;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "the topic to read")
    String topic;

    @Option(names = "--max", paramLabel = "N", defaultValue = "" + Integer.MAX_VALUE,
            description = "stop after N records")
    int max;

    @Option(names = "--idle-s", paramLabel = "S", defaultValue = "10",
            description = "stop after S seconds without a record (default ${DEFAULT-VALUE})")
    int idleSeconds;

    ConsumeCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() throws Exception {
        long idleMillis = idleSeconds * 1000L;
        int seen = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaTools.consumerFromStart(bootstrap, topic)) {
            long lastRecord = System.currentTimeMillis();
            while (seen < max && System.currentTimeMillis() - lastRecord < idleMillis) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    out.println(describe(r.value()));
                    lastRecord = System.currentTimeMillis();
                    if (++seen >= max) {
                        break;
                    }
                }
            }
        }
        out.println(seen + " records from " + topic);
        return 0;
    }

    /** One readable line for a prediction (JSON or binary) or dead-letter JSON value. */
    static String describe(byte[] value) {
        if (BinaryPredictionCodec.isBinaryPrediction(value)) {
            Prediction p;
            try {
                p = BinaryPredictionCodec.decode(value);
            } catch (RuntimeException e) {
                return "BAD   binary prediction: " + e.getMessage();
            }
            ClassScore top = p.top1();
            return predictionLine(p.id(), top == null ? null : top.label(), top == null ? 0 : top.probability(),
                    p.modelName() + ":" + p.modelVersion(), p.batchSize(), p.latencyMicros());
        }
        String text = new String(value, StandardCharsets.UTF_8);
        try {
            JsonNode n = JSON.readTree(text);
            String model = n.path("model").path("name").asText() + ":" + n.path("model").path("version").asText();
            if (n.has("error")) {
                return String.format(Locale.ROOT, "DEAD  %-28s %-13s %s  [%s]", n.path("id").asText(),
                        n.path("error").path("kind").asText(), n.path("error").path("reason").asText(),
                        n.path("source").asText());
            }
            JsonNode top = n.path("top_k").path(0);
            return predictionLine(n.path("id").asText(), top.isMissingNode() ? null : top.path("label").asText(),
                    top.path("p").asDouble(), model, n.path("batch_size").asInt(),
                    n.path("latency_us").path("queue").asLong() + n.path("latency_us").path("inference").asLong());
        } catch (Exception e) {
            return "RAW   " + text;
        }
    }

    private static String predictionLine(String id, String topLabel, double topP, String model, int batch,
            long micros) {
        String label = topLabel == null ? "-" : String.format(Locale.ROOT, "%s (%.3f)", topLabel, topP);
        return String.format(Locale.ROOT, "PRED  %-28s %-24s %s  batch %d, %d us", id, label, model, batch, micros);
    }
}
