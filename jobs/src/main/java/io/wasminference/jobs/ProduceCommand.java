package io.wasminference.jobs;

import io.wasminference.abi.ModuleValidator;
import io.wasminference.format.BinaryTensorCodec;
import io.wasminference.format.JsonSampleCodec;
import io.wasminference.format.Sample;
import io.wasminference.jobs.cli.JsonLines;
import io.wasminference.jobs.cli.Locations;
import io.wasminference.jobs.cli.UsageException;
import io.wasminference.jobs.kafka.CheckedSender;
import io.wasminference.jobs.kafka.KafkaTools;
import io.wasminference.runtime.SandboxLimits;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;

/** {@code produce}: pushes a JSON-lines dataset into a topic, as JSON or as binary WIT1 records. */
@Command(name = "produce",
        customSynopsis = "${COMMAND-FULL-NAME} --bootstrap HOST:PORT --topic TOPIC --input FILE [OPTION]...",
        description = {
    "Write a JSON-lines dataset into a topic.",
    "",
    "One record per sample (key = sample id), as JSON or as binary WIT1 records; the topic is created if missing."})
final class ProduceCommand implements Callable<Integer> {
    /** The record formats produce writes. */
    enum Format { json, binary }

    private final PrintStream out;

    @Option(names = "--bootstrap", required = true, paramLabel = "HOST:PORT", description = "Kafka bootstrap servers")
    String bootstrap;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "the topic to write")
    String topic;

    @Option(names = "--input", required = true, paramLabel = "FILE",
            description = "JSON lines of samples, or a bundled test set")
    String input;

    @Option(names = "--format", paramLabel = "json|binary", defaultValue = "json",
            description = "record format (default ${DEFAULT-VALUE}); binary needs the model's input names")
    Format format;

    @Option(names = "--model", paramLabel = "MODEL",
            description = "the model whose inputs binary records carry (default: --input when it is sample:NAME)")
    String modelLocation;

    @Option(names = "--limit", paramLabel = "N", description = "only the first N samples")
    Integer limitOption;

    @Option(names = "--partitions", paramLabel = "N", defaultValue = "4",
            description = "partitions of the topic if it is created (default ${DEFAULT-VALUE})")
    int partitions;

    ProduceCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() throws Exception {
        boolean binary = format == Format.binary;
        JsonSampleCodec codec = null;
        if (binary) {
            String model = modelLocation != null ? modelLocation
                    : input.startsWith(Locations.SAMPLE) ? input : null;
            if (model == null) {
                throw new UsageException("--format binary needs --model to know the model's inputs");
            }
            codec = new JsonSampleCodec(ModuleValidator.validate(Locations.model(model).load(),
                    SandboxLimits.defaults().memoryLimitPages()).metadata());
        }
        List<String> lines = JsonLines.read(Locations.dataset(input));
        int limit = limitOption == null ? Integer.MAX_VALUE : limitOption;
        KafkaTools.ensureTopics(bootstrap, new Properties(), Map.of(topic, partitions));
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
