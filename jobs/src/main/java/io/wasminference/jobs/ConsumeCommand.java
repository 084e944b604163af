package io.wasminference.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasminference.jobs.cli.Args;
import io.wasminference.jobs.kafka.KafkaTools;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;

/** {@code consume}: tails a topic of predictions or dead letters in readable form (read_committed). */
final class ConsumeCommand {
    static final String USAGE = "consume --bootstrap HOST:PORT --topic T [--max N] [--idle-s S]\n"
            + "    Print predictions or dead letters of a topic from the beginning, committed records only; stop after\n"
            + "    N records or S seconds without new ones (default 10).";
    private static final ObjectMapper JSON = new ObjectMapper();

    private ConsumeCommand() {}

    static int run(String[] argv, PrintStream out) throws Exception {
        Args args = Args.parse(argv, 1, Set.of("bootstrap", "topic", "max", "idle-s"), Set.of());
        String topic = args.require("topic");
        int max = args.intValue("max", Integer.MAX_VALUE);
        long idleMillis = args.intValue("idle-s", 10) * 1000L;
        int seen = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaTools.consumerFromStart(args.require("bootstrap"), topic)) {
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

    /** One readable line for a prediction or dead-letter JSON value. */
    static String describe(byte[] value) {
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
            String label = top.isMissingNode() ? "-" : String.format(Locale.ROOT, "%s (%.3f)",
                    top.path("label").asText(), top.path("p").asDouble());
            return String.format(Locale.ROOT, "PRED  %-28s %-24s %s  batch %d, %d us", n.path("id").asText(), label,
                    model, n.path("batch_size").asInt(), n.path("latency_us").path("queue").asLong()
                            + n.path("latency_us").path("inference").asLong());
        } catch (Exception e) {
            return "RAW   " + text;
        }
    }
}
