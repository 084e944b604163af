package io.wasminference.bench.kafka;

import io.wasminference.bench.BenchModel;
import io.wasminference.bench.Results;
import io.wasminference.format.BinaryTensorCodec;
import io.wasminference.jobs.cli.JsonLines;
import io.wasminference.jobs.cli.Locations;
import io.wasminference.jobs.kafka.KafkaTools;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Issue 15's measurement from outside: drain a backlog. A KRaft broker in its own JVM ({@link BrokerMain}); the
 * backlog written once per model and input format, a small and a large topic; then each pipeline as a bounded job
 * in its own JVM ({@link DrainJob}, 2 slots) reading one topic to its end. Start-up cancels out of
 * {@code rate = (large - small) / (runtime(large) - runtime(small))} (the job's net runtime; its JVM's wall time is
 * recorded too), and the CPU per record of the job's JVM and of the broker's the same way. Pipelines: {@code identity} (source, the bytes passed through, sink: this machine's ceiling
 * for the Kafka path), {@code decode-encode} (the job without inference: its decoder and serializers, a fixed
 * prediction per record) and {@code job} (the real InferenceJob). Variants run interleaved, round by round.
 * Appends: model,pipeline,input,output,delivery,round,small,large,runtime_small_s,runtime_large_s,wall_small_s,
 * wall_large_s,records_per_s,job_cpu_us,broker_cpu_us
 *
 * <pre>DrainBench --models digits-mlp,fashion-lenet5 --rounds 2 [--scale 1] [--variants NAME,...] --out F</pre>
 */
public final class DrainBench {
    private DrainBench() {}

    static final String HEADER = "model,pipeline,input,output,delivery,round,small,large,runtime_small_s,runtime_large_s,"
            + "wall_small_s,wall_large_s,records_per_s,job_cpu_us,broker_cpu_us";

    /** One pipeline configuration; its name is what {@code --variants} selects. */
    record Variant(String name, String pipeline, String input, String output, boolean outputs, String delivery,
            String profile) {
        Variant(String name, String pipeline, String input, String output, boolean outputs, String delivery) {
            this(name, pipeline, input, output, outputs, delivery, "");
        }

        String outputLabel() {
            return (pipeline.equals("identity") ? "bytes" : output + (outputs ? "" : " no-outputs"))
                    + (profile.isEmpty() ? "" : " --profile " + profile);
        }
    }

    static final List<Variant> ALL = List.of(
            new Variant("identity", "identity", "binary", "json", true, "at-least-once"),
            new Variant("identity-throughput", "identity", "binary", "json", true, "at-least-once", "throughput"),
            new Variant("decode-encode", "decode-encode", "binary", "json", true, "at-least-once"),
            new Variant("decode-encode-binary", "decode-encode", "binary", "binary", true, "at-least-once"),
            new Variant("job-json", "job", "binary", "json", true, "at-least-once"),
            new Variant("job-binary", "job", "binary", "binary", true, "at-least-once"),
            new Variant("job-binary-no-outputs", "job", "binary", "binary", false, "at-least-once"),
            new Variant("job-binary-throughput", "job", "binary", "binary", true, "at-least-once", "throughput"),
            new Variant("identity-eo", "identity", "binary", "json", true, "exactly-once"),
            new Variant("job-binary-eo", "job", "binary", "binary", true, "exactly-once"),
            new Variant("identity-json-input", "identity", "json", "json", true, "at-least-once"),
            new Variant("job-binary-json-input", "job", "json", "binary", true, "at-least-once"));

    public static void main(String[] args) throws Exception {
        String[] models = Results.arg(args, "models", "digits-mlp").split(",");
        int rounds = Integer.parseInt(Results.arg(args, "rounds", "1"));
        double scale = Double.parseDouble(Results.arg(args, "scale", "1"));
        String wanted = Results.arg(args, "variants", "");
        Path out = Path.of(Results.arg(args, "out", "target/bench-results/drain.csv"));
        List<Variant> variants = wanted.isEmpty() ? ALL : List.of(wanted.split(",")).stream()
                .map(n -> ALL.stream().filter(v -> v.name().equals(n)).findFirst()
                        .orElseThrow(() -> new IllegalArgumentException("unknown variant " + n + "; known: "
                                + ALL.stream().map(Variant::name).collect(Collectors.joining(",")))))
                .toList();
        String classpath = System.getProperty("java.class.path");
        try (BrokerProcess broker = BrokerProcess.start()) {
            String bootstrap = broker.bootstrap();
            for (String id : models) {
                BenchModel model = BenchModel.of(id);
                // the MLP's sizes are the (1M and 200k); the CNN's records are 12x larger and 40x slower
                long large = (long) ((model == BenchModel.DIGITS_MLP ? 1_000_000 : 200_000) * scale);
                long small = large / 5;
                List<Variant> forModel = variants.stream()
                        .filter(v -> model == BenchModel.DIGITS_MLP || v.input().equals("binary")).toList();
                Map<String, String[]> topics = new java.util.HashMap<>();
                for (String input : forModel.stream().map(Variant::input).distinct().toList()) {
                    topics.put(input, new String[] {backlog(bootstrap, model, input, small),
                        backlog(bootstrap, model, input, large)});
                }
                for (int round = 0; round < rounds; round++) {
                    for (Variant v : forModel) {
                        String[] t = topics.get(v.input());
                        Run s = run(classpath, bootstrap, broker, model, v, t[0], small);
                        Run l = run(classpath, bootstrap, broker, model, v, t[1], large);
                        double n = large - small;
                        double rate = n / (l.runtimeSeconds - s.runtimeSeconds);
                        double jobCpu = (l.jobCpuMs - s.jobCpuMs) * 1000.0 / n;
                        double brokerCpu = (l.brokerCpuMs - s.brokerCpuMs) * 1000.0 / n;
                        System.out.printf(java.util.Locale.ROOT, "drain %s %s round %d: %.0f records/s, job CPU %.2f "
                                + "µs/record, broker CPU %.2f µs/record (runtimes %.1f s / %.1f s, JVM walls %.1f s / %.1f s)%n",
                                id, v.name(), round, rate, jobCpu, brokerCpu, s.runtimeSeconds, l.runtimeSeconds,
                                s.wallSeconds, l.wallSeconds);
                        Results.append(out, HEADER, id, v.pipeline(), v.input(), v.outputLabel(), v.delivery(), round,
                                small, large, s.runtimeSeconds, l.runtimeSeconds, s.wallSeconds, l.wallSeconds, rate,
                                jobCpu, brokerCpu);
                    }
                }
                deleteTopics(bootstrap, topics.values().stream().flatMap(java.util.Arrays::stream).toList());
            }
        }
        System.out.println("drain benchmark done");
    }

    /** One run: the job's net runtime, the wall time of its JVM, the CPU time of its JVM and of the broker's. */
    record Run(double runtimeSeconds, double wallSeconds, long jobCpuMs, long brokerCpuMs) {}

    /** One bounded job over {@code topic} in its own JVM; checks that every record came out. */
    static Run run(String classpath, String bootstrap, BrokerProcess broker, BenchModel model, Variant v, String topic,
            long records) throws Exception {
        String outTopic = "drain-out-" + Long.toHexString(System.nanoTime());
        KafkaTools.ensureTopics(bootstrap, new Properties(), Map.of(outTopic, 2, outTopic + "-dlq", 1));
        List<String> cmd = new ArrayList<>(List.of(BrokerProcess.java(), "-Xmx1g"));
        cmd.addAll(BrokerProcess.inheritedProperties());
        cmd.addAll(List.of("-cp", classpath, DrainJob.class.getName(),
                "--pipeline", v.pipeline(), "--bootstrap", bootstrap, "--in", topic, "--out", outTopic,
                "--model", model.id(), "--delivery", v.delivery(), "--input-format", v.input(),
                "--output-format", v.output(), "--include-outputs", Boolean.toString(v.outputs()),
                "--profile", v.profile()));
        long brokerBefore = broker.cpuMs();
        long start = System.nanoTime();
        Process job = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        long jobCpu = -1;
        long runtimeMs = -1;
        StringBuilder log = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(job.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("drain-job cpu_ms=")) {
                    String[] f = line.split("[ =]");
                    jobCpu = Long.parseLong(f[2]);
                    runtimeMs = Long.parseLong(f[4]);
                } else if (log.length() < 20_000) {
                    log.append(line).append('\n');
                }
            }
        }
        int exit = job.waitFor();
        double wall = (System.nanoTime() - start) / 1e9;
        long brokerCpu = broker.cpuMs() - brokerBefore;
        if (exit != 0 || jobCpu < 0) {
            throw new IllegalStateException(v.name() + " on " + topic + " failed (exit " + exit + "):\n" + log);
        }
        long written = endOffsets(bootstrap, outTopic);
        // exactly-once: the end offsets count each transaction's commit marker too
        if (written < records) {
            throw new IllegalStateException(v.name() + " wrote " + written + " of " + records + " predictions");
        }
        deleteTopics(bootstrap, List.of(outTopic, outTopic + "-dlq"));
        return new Run(runtimeMs / 1000.0, wall, jobCpu, brokerCpu);
    }

    /** Writes {@code n} records (the model's test samples in a cycle) into a new topic of 2 partitions. */
    static String backlog(String bootstrap, BenchModel model, String input, long n) throws Exception {
        String topic = "drain-in-" + model.id() + "-" + input + "-" + n;
        KafkaTools.ensureTopics(bootstrap, new Properties(), Map.of(topic, 2));
        byte[][] values = new byte[BenchModel.SAMPLES][];
        List<String> lines = input.equals("json")
                ? JsonLines.read(Locations.dataset("sample:" + model.id())).stream().filter(l -> !l.isBlank()).toList()
                : List.of();
        for (int i = 0; i < values.length; i++) {
            values[i] = input.equals("json") ? lines.get(i % lines.size()).getBytes(StandardCharsets.UTF_8)
                    : BinaryTensorCodec.encode("s" + i, Map.of(model.inputName(), model.sampleTensor(i)));
        }
        Properties p = new Properties();
        p.put("batch.size", Integer.toString(1 << 20));
        p.put("linger.ms", "20");
        try (KafkaProducer<byte[], byte[]> producer = KafkaTools.producer(bootstrap, p)) {
            for (long i = 0; i < n; i++) {
                // keyed like `produce` keys records (the identity job's byte[] tuples need a key, too)
                producer.send(new ProducerRecord<>(topic, Long.toString(i).getBytes(StandardCharsets.UTF_8),
                        values[(int) (i % values.length)]));
            }
        }
        long written = endOffsets(bootstrap, topic);
        if (written != n) {
            throw new IllegalStateException("backlog " + topic + " has " + written + " records, expected " + n);
        }
        return topic;
    }

    static long endOffsets(String bootstrap, String topic) throws Exception {
        try (Admin admin = admin(bootstrap)) {
            int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
            Map<TopicPartition, OffsetSpec> specs = new java.util.HashMap<>();
            for (int i = 0; i < partitions; i++) {
                specs.put(new TopicPartition(topic, i), OffsetSpec.latest());
            }
            return admin.listOffsets(specs).all().get().values().stream().mapToLong(o -> o.offset()).sum();
        }
    }

    static void deleteTopics(String bootstrap, List<String> topics) throws Exception {
        try (Admin admin = admin(bootstrap)) {
            admin.deleteTopics(topics).all().get(60, TimeUnit.SECONDS);
        }
    }

    private static Admin admin(String bootstrap) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return Admin.create(p);
    }

}
