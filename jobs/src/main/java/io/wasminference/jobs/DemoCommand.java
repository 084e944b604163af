package io.wasminference.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasminference.abi.ModuleValidator;
import io.wasminference.abi.WasmBinary;
import io.wasminference.format.BinaryTensorCodec;
import io.wasminference.jobs.cli.JsonLines;
import io.wasminference.jobs.cli.Locations;
import io.wasminference.jobs.cli.UsageException;
import io.wasminference.jobs.kafka.CheckedSender;
import io.wasminference.jobs.kafka.EmbeddedKafka;
import io.wasminference.jobs.kafka.InferenceJob;
import io.wasminference.jobs.kafka.InferenceJobOptions;
import io.wasminference.jobs.kafka.JobOptions;
import io.wasminference.jobs.kafka.KafkaTools;
import io.wasminference.model.ModelManifest;
import io.wasminference.model.ModelRef;
import io.wasminference.model.ModelRepository;
import io.wasminference.model.ModelVersion;
import io.wasminference.runtime.SandboxLimits;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code demo}: the whole pipeline on one machine. Starts an embedded KRaft broker (unless {@code --bootstrap}),
 * feeds a sample test set plus a few malformed records into the input topic, runs the same job as production on a
 * local Flink MiniCluster, reads the committed output and prints a report. Leaves nothing running.
 */
@Command(name = "demo",
        customSynopsis = "${COMMAND-FULL-NAME} [OPTION]...",
        description = {
            "The whole pipeline on this machine, with a report.",
            "",
            "An embedded Kafka broker (or --bootstrap), a bundled model's test set plus six malformed records in, the "
                + "inference job on a local Flink, predictions and dead letters out, then accuracy, throughput and "
                + "latency. --swap also publishes a second version to a model repository and deploys it through the "
                + "control topic mid-run."})
final class DemoCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The demo's max-record-bytes: small enough that an oversized record still fits Kafka's 1 MB default. */
    private static final int OVERSIZED_LIMIT = 256 << 10;

    private final PrintStream out;

    @Option(names = "--model", paramLabel = "sample:NAME", defaultValue = "sample:fashion-lenet5",
            description = "a bundled model and its test set (default ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--bootstrap", paramLabel = "HOST:PORT",
            description = "use this Kafka instead of starting an embedded broker")
    String bootstrap;

    @Option(names = "--parallelism", paramLabel = "N", defaultValue = "2",
            description = "parallelism of the job (default ${DEFAULT-VALUE})")
    int parallelism;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "64",
            description = "most records per wasm call (default ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--limit", paramLabel = "N", description = "only the first N samples of the test set")
    Integer limit;

    @Option(names = "--swap", description = "deploy a second model version through the control topic mid-run")
    boolean swap;

    DemoCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() throws Exception {
        if (!model.startsWith(Locations.SAMPLE)) {
            throw new UsageException("the demo uses a bundled model and its test set: --model sample:NAME");
        }
        EmbeddedKafka embedded = null;
        String bootstrap = this.bootstrap;
        try {
            if (bootstrap == null) {
                out.print("starting an embedded Kafka broker (KRaft) ... ");
                out.flush();
                embedded = EmbeddedKafka.start();
                bootstrap = embedded.bootstrapServers();
                out.println(bootstrap);
            }
            return runDemo(bootstrap);
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    private int runDemo(String bootstrap) throws Exception {
        String run = Long.toString(System.currentTimeMillis(), 36);
        String in = "wasm-inference-demo-" + run + "-requests";
        String predictions = "wasm-inference-demo-" + run + "-predictions";
        String dead = "wasm-inference-demo-" + run + "-dead-letters";
        String control = "wasm-inference-demo-" + run + "-control";
        String status = "wasm-inference-demo-" + run + "-status";
        KafkaTools.ensureTopics(bootstrap, new Properties(),
                Map.of(in, 4, predictions, 4, dead, 1, control, 1, status, 1));
        Swap versions = swap ? Swap.publish(model, out) : null;
        try {
            return runJob(bootstrap, in, predictions, dead, control, status, run, versions);
        } finally {
            if (versions != null) {
                versions.close();
            }
        }
    }

    private int runJob(String bootstrap, String in, String predictions, String dead, String control, String status,
            String run, Swap versions) throws Exception {

        // 1. the test set, with labels kept aside to score the predictions; with --swap the second half waits until
        //    the new version serves
        List<String> lines = JsonLines.read(Locations.dataset(model)).stream().filter(l -> !l.isBlank())
                .limit(limit == null ? Long.MAX_VALUE : limit).toList();
        Map<String, Integer> labels = new HashMap<>();
        for (String line : lines) {
            JsonNode node = JSON.readTree(line);
            labels.put(node.path("id").asText(), node.path("label").asInt());
        }
        List<byte[]> malformed = malformedRecords();
        int firstBatch = swap ? lines.size() / 2 : lines.size();
        produce(bootstrap, in, lines.subList(0, firstBatch), malformed);
        int total = labels.size() + malformed.size();
        out.printf(Locale.ROOT, "produced %d records to %s (%d test samples of %s, %d malformed on purpose)%n",
                firstBatch + malformed.size(), in, firstBatch, model, malformed.size());

        // 2. the production job, bounded to what was just produced, on a local MiniCluster
        JobOptions.Builder settings = JobOptions.builder()
                .set(InferenceJobOptions.BOOTSTRAP, bootstrap)
                .set(InferenceJobOptions.INPUT_TOPIC, in)
                .set(InferenceJobOptions.OUTPUT_TOPIC, predictions)
                .set(InferenceJobOptions.DEAD_LETTER_TOPIC, dead)
                .set(InferenceJobOptions.MODEL, swap ? versions.v1.location() : Locations.model(model).location())
                .set(InferenceJobOptions.GROUP_ID, "wasm-inference-demo-" + run)
                .set(InferenceJobOptions.PARALLELISM, parallelism)
                .set(InferenceJobOptions.BATCH_SIZE, batchSize)
                .set(InferenceJobOptions.CHECKPOINT_MS, 1000)
                .set(InferenceJobOptions.BOUNDED, !swap)
                .set(InferenceJobOptions.INCLUDE_OUTPUTS, false)
                .set(InferenceJobOptions.MAX_RECORD_BYTES, OVERSIZED_LIMIT);
        if (swap) {
            settings.set(InferenceJobOptions.MODEL_REPO, versions.repo.root())
                    .set(InferenceJobOptions.CONTROL_TOPIC, control)
                    .set(InferenceJobOptions.STATUS_TOPIC, status);
        }
        JobOptions options = settings.build();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.build(env, options);
        long start = System.nanoTime();
        JobClient job = env.executeAsync("wasm-inference demo");
        out.printf(Locale.ROOT, "running the inference job on a local Flink (parallelism %s, exactly-once, "
                + "checkpoints every 1 s)%n", parallelism);

        // 3. read the committed output while the job runs
        Results results = new Results(labels);
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaTools.consumerFromStart(bootstrap, predictions, dead)) {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            boolean finished = false;
            long finishedAt = 0;
            int shown = -1;
            boolean deployed = false;
            while (results.count() < total && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(250))) {
                    results.add(r, r.topic().equals(dead));
                }
                if (swap && !deployed && results.count() == firstBatch + malformed.size()) {
                    deployed = true;
                    versions.deploy(bootstrap, control);
                    out.printf(Locale.ROOT, "%n  sent {\"command\": \"deploy\", \"name\": \"%s\", \"version\": "
                            + "\"%s\"} to %s%n", versions.v2.name(), versions.v2.version(), control);
                    int serving = Swap.awaitServing(bootstrap, status, parallelism,
                            Duration.ofSeconds(60));
                    out.printf(Locale.ROOT, "  %d subtasks switched; producing the other %d test samples%n", serving,
                            lines.size() - firstBatch);
                    produce(bootstrap, in, lines.subList(firstBatch, lines.size()), List.of());
                    shown = -1;
                }
                if (results.count() != shown) {
                    shown = results.count();
                    progress(out, shown, total);
                }
                if (!finished && job.getJobExecutionResult().isDone()) {
                    finished = true;
                    finishedAt = System.nanoTime();
                }
                if (finished && System.nanoTime() - finishedAt > TimeUnit.SECONDS.toNanos(5)) {
                    break; // the job is done and nothing more arrives
                }
            }
            out.println();
        }
        double seconds = (results.lastArrivalNanos - start) / 1e9;
        if (swap) {
            job.cancel().get(1, TimeUnit.MINUTES); // the control topic keeps a swap job running
        } else {
            job.getJobExecutionResult().get(2, TimeUnit.MINUTES);
        }

        // 4. the report
        out.println();
        out.println("report");
        out.printf(Locale.ROOT, "  model            %s%n", results.models.entrySet().stream()
                .map(e -> e.getKey() + " (" + e.getValue() + " predictions)").reduce((a, b) -> a + ", " + b)
                .orElse("-"));
        if (swap) {
            for (String event : Swap.events(bootstrap, status)) {
                out.println("  model event      " + event);
            }
        }
        out.printf(Locale.ROOT, "  records in       %d%n", total);
        out.printf(Locale.ROOT, "  predictions      %d%n", results.predictions);
        out.printf(Locale.ROOT, "  dead letters     %d  %s%n", results.deadLetters, results.deadKinds);
        out.printf(Locale.ROOT, "  accuracy         %d / %d = %.4f%n", results.correct, results.scored,
                results.scored == 0 ? 0.0 : (double) results.correct / results.scored);
        if (!swap) { // with --swap the run pauses while the swap is confirmed: no throughput to speak of
            out.printf(Locale.ROOT, "  throughput       %.0f records/s end to end (%.1f s from job start to the last "
                    + "committed record, including Flink start-up)%n", total / seconds, seconds);
        }
        out.printf(Locale.ROOT, "  latency          in the operator p50 %.2f ms, p99 %.2f ms per record (batch queue + "
                + "wasm call; the whole test set was waiting as a backlog, and exactly-once output becomes visible "
                + "at the next checkpoint)%n",
                percentile(results.operatorMicros, 50) / 1000.0, percentile(results.operatorMicros, 99) / 1000.0);
        out.printf(Locale.ROOT, "  topics           %s -> %s, %s%n", in, predictions, dead);
        boolean complete = results.count() == total;
        out.println(complete ? "  every input produced exactly one prediction or dead letter"
                : "  MISSING: " + (total - results.count()) + " inputs produced nothing");
        return complete ? 0 : 1;
    }

    private static void produce(String bootstrap, String topic, List<String> lines, List<byte[]> malformed)
            throws Exception {
        try (CheckedSender producer = new CheckedSender(bootstrap, new Properties())) {
            for (String line : lines) {
                String id = JSON.readTree(line).path("id").asText();
                producer.send(new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8),
                        line.getBytes(StandardCharsets.UTF_8)));
            }
            for (byte[] bad : malformed) {
                producer.send(new ProducerRecord<>(topic, null, bad));
            }
        }
    }

    /** Six kinds of bad input; each must end in the dead-letter topic with a reason. */
    static List<byte[]> malformedRecords() {
        byte[] truncated = Arrays.copyOf(BinaryTensorCodec.encode("truncated",
                Map.of("image", io.wasminference.tensor.Tensor.wrap(io.wasminference.abi.DType.U8,
                        new int[] {28, 28}, new byte[784]))), 100);
        return List.of(
                "{\"id\": \"bad-json\", \"data\": [1, 2,".getBytes(StandardCharsets.UTF_8),
                "{\"id\": \"bad-shape\", \"shape\": [3], \"data\": [1, 2, 3]}".getBytes(StandardCharsets.UTF_8),
                "{\"id\": \"bad-value\", \"shape\": [28, 28], \"data\": [NaN]}".getBytes(StandardCharsets.UTF_8),
                new byte[0],
                truncated,
                new byte[OVERSIZED_LIMIT + 1]);
    }

    private static void progress(PrintStream out, int done, int total) {
        int width = 40;
        int filled = total == 0 ? width : (int) ((long) done * width / total);
        out.printf(Locale.ROOT, "\r  [%s%s] %d / %d", "#".repeat(filled), ".".repeat(width - filled), done, total);
        out.flush();
    }

    private static double percentile(List<Long> values, int p) {
        if (values.isEmpty()) {
            return 0;
        }
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    /** What came out of the job. */
    private static final class Results {
        final Map<String, Integer> labels;
        final Map<String, Integer> models = new TreeMap<>();
        final Map<String, Integer> deadKinds = new TreeMap<>();
        final List<Long> operatorMicros = new ArrayList<>();
        int predictions;
        int deadLetters;
        int scored;
        int correct;
        long lastArrivalNanos = System.nanoTime();

        Results(Map<String, Integer> labels) {
            this.labels = labels;
        }

        int count() {
            return predictions + deadLetters;
        }

        void add(ConsumerRecord<byte[], byte[]> r, boolean dead) throws Exception {
            lastArrivalNanos = System.nanoTime();
            JsonNode n = JSON.readTree(r.value());
            if (dead) {
                deadLetters++;
                deadKinds.merge(n.path("error").path("kind").asText(), 1, Integer::sum);
                return;
            }
            predictions++;
            models.merge(n.path("model").path("name").asText() + ":" + n.path("model").path("version").asText(), 1,
                    Integer::sum);
            operatorMicros.add(n.path("latency_us").path("queue").asLong()
                    + n.path("latency_us").path("inference").asLong());
            Integer label = labels.get(n.path("id").asText());
            if (label != null) {
                scored++;
                if (n.path("top_k").path(0).path("index").asInt(-1) == label) {
                    correct++;
                }
            }
        }
    }

    /** The two versions of the swap demo, in a temporary model repository. */
    private static final class Swap implements AutoCloseable {
        final java.nio.file.Path dir;
        final ModelRepository repo;
        final ModelVersion v1;
        final ModelVersion v2;

        private Swap(java.nio.file.Path dir, ModelRepository repo, ModelVersion v1, ModelVersion v2) {
            this.dir = dir;
            this.repo = repo;
            this.v1 = v1;
            this.v2 = v2;
        }

        /**
         * v1 is the SIMD build; v2 the scalar build of the same C, labelled as the next version (its outputs are
         * bit-identical, so the golden vectors of v1 validate it).
         */
        static Swap publish(String model, PrintStream out) throws Exception {
            java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("wasm-inference-demo-repo-");
            ModelRepository repo = new ModelRepository(dir.toString());
            String name = model.substring(Locations.SAMPLE.length());
            byte[] simd = Locations.model(model).load();
            byte[] scalar = ModelRef.of("classpath:samples/" + name + "/model-scalar.wasm").load();
            String meta = new String(WasmBinary.parse(scalar).customSections().get(WasmBinary.METADATA_SECTION)
                    .get(0), StandardCharsets.UTF_8);
            String v1Version = ModuleValidator.validate(simd, 4096).metadata().version();
            byte[] next = WasmBinary.withCustomSection(scalar, WasmBinary.METADATA_SECTION,
                    meta.replace("version: " + v1Version, "version: " + v1Version + "-scalar")
                            .getBytes(StandardCharsets.UTF_8));
            List<String> golden = JsonLines.read(Locations.golden(model));
            ModelManifest m1 = repo.publish(simd, golden, SandboxLimits.defaults());
            ModelManifest m2 = repo.publish(next, golden, SandboxLimits.defaults());
            out.printf(Locale.ROOT, "published %s:%s and %s:%s (golden vectors checked) to the model repository %s%n",
                    m1.name(), m1.version(), m2.name(), m2.version(), repo.root());
            return new Swap(dir, repo, version(repo, m1), version(repo, m2));
        }

        private static ModelVersion version(ModelRepository repo, ModelManifest m) {
            return new ModelVersion(m.name(), m.version(), m.sha256(), repo.ref(m).location());
        }

        /** Deletes the temporary repository: the demo leaves nothing behind. */
        @Override
        public void close() throws java.io.IOException {
            try (var files = java.nio.file.Files.walk(dir)) {
                for (java.nio.file.Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    java.nio.file.Files.deleteIfExists(p);
                }
            }
        }

        void deploy(String bootstrap, String control) throws Exception {
            try (KafkaProducer<byte[], byte[]> producer = KafkaTools.producer(bootstrap, new Properties())) {
                producer.send(new ProducerRecord<>(control, null, ("{\"command\": \"deploy\", \"name\": \""
                        + v2.name() + "\", \"version\": \"" + v2.version() + "\"}").getBytes(StandardCharsets.UTF_8)))
                        .get();
            }
        }

        /** Waits until the status topic shows the swap done on every subtask (or the timeout); returns how many. */
        static int awaitServing(String bootstrap, String status, int subtasks, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            int serving = 0;
            while (System.nanoTime() < deadline) {
                serving = (int) events(bootstrap, status).stream().filter(e -> e.contains("\"SERVING\"")).count();
                if (serving >= subtasks) {
                    break;
                }
            }
            return serving;
        }

        static List<String> events(String bootstrap, String status) {
            List<String> events = new ArrayList<>();
            try (KafkaConsumer<byte[], byte[]> consumer = KafkaTools.consumerFromStart(bootstrap, status)) {
                for (int i = 0; i < 8; i++) {
                    consumer.poll(Duration.ofMillis(250)).forEach(r ->
                            events.add(new String(r.value(), StandardCharsets.UTF_8)));
                }
            }
            return events;
        }
    }
}
