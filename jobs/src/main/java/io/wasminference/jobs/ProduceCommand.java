package io.wasminference.jobs;

import io.wasminference.abi.ModuleValidator;
import io.wasminference.format.BinaryTensorCodec;
import io.wasminference.format.JsonSampleCodec;
import io.wasminference.format.Sample;
import io.wasminference.jobs.cli.Args;
import io.wasminference.jobs.cli.JsonLines;
import io.wasminference.jobs.cli.Locations;
import io.wasminference.jobs.kafka.CheckedSender;
import io.wasminference.jobs.kafka.KafkaTools;
import io.wasminference.runtime.SandboxLimits;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/** {@code produce}: pushes a JSON-lines dataset into a topic, as JSON or as binary WIT1 records. */
final class ProduceCommand {
    static final String USAGE = "produce --bootstrap HOST:PORT --topic T --input FILE|sample:NAME "
            + "[--format json|binary --model MODEL] [--limit N] [--partitions N]\n"
            + "    Push a JSON-lines dataset into a topic (key = sample id). Binary needs --model for the input names.";

    private ProduceCommand() {}

    static int run(String[] argv, PrintStream out) throws Exception {
        Args args = Args.parse(argv, 1, Set.of("bootstrap", "topic", "input", "format", "model", "limit",
                "partitions"), Set.of());
        String bootstrap = args.require("bootstrap");
        String topic = args.require("topic");
        String input = args.require("input");
        boolean binary = args.get("format", "json").equals("binary");
        JsonSampleCodec codec = null;
        if (binary) {
            String model = args.get("model", input.startsWith(Locations.SAMPLE) ? input : null);
            if (model == null) {
                throw new Args.UsageException("--format binary needs --model to know the model's inputs");
            }
            codec = new JsonSampleCodec(ModuleValidator.validate(Locations.model(model).load(),
                    SandboxLimits.defaults().memoryLimitPages()).metadata());
        }
        List<String> lines = JsonLines.read(Locations.dataset(input));
        int limit = args.intValue("limit", Integer.MAX_VALUE);
        KafkaTools.ensureTopics(bootstrap, new Properties(), Map.of(topic, args.intValue("partitions", 4)));
        int sent = 0;
        try (CheckedSender producer = new CheckedSender(bootstrap, new Properties())) {
            for (String line : lines) {
                if (line.isBlank() || sent >= limit) {
                    continue;
                }
                byte[] value;
                String id;
                if (codec != null) {
                    Sample s = codec.decode(line);
                    id = s.id();
                    value = BinaryTensorCodec.encode(id, s.inputs());
                } else {
                    id = idOf(line);
                    value = line.getBytes(StandardCharsets.UTF_8);
                }
                producer.send(new ProducerRecord<>(topic, id.isEmpty() ? null : id.getBytes(StandardCharsets.UTF_8),
                        value));
                sent++;
            }
        }
        out.println("produced " + sent + " records to " + topic + (binary ? " (binary WIT1)" : " (JSON)"));
        return 0;
    }

    /** The id of a JSON line without decoding the whole line (for keys). */
    static String idOf(String line) {
        int at = line.indexOf("\"id\"");
        if (at < 0) {
            return "";
        }
        int start = line.indexOf('"', line.indexOf(':', at) + 1);
        int end = start < 0 ? -1 : line.indexOf('"', start + 1);
        return start < 0 || end < 0 ? "" : line.substring(start + 1, end);
    }
}
