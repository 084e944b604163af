package io.wasminference.bench.kafka;

import io.wasminference.bench.BenchModel;
import io.wasminference.bench.Results;
import io.wasminference.format.BinaryTensorCodec;
import io.wasminference.format.RecordDecoder;
import io.wasminference.jobs.kafka.EmbeddedKafka;
import io.wasminference.jobs.kafka.InferenceJob;
import io.wasminference.jobs.kafka.InferenceJobOptions;
import io.wasminference.jobs.kafka.JobOptions;
import io.wasminference.jobs.kafka.KafkaTools;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * End to end: Kafka -> Flink (the project's InferenceJob, local MiniCluster) -> Kafka, with a real Kafka broker
 * running in this JVM (EmbeddedKafka, KRaft), binary WIT1 input records, at-least-once delivery, parallelism 2.
 * Everything (broker, Flink, producer, consumer) shares this JVM and the machine's cores.
 *
 * <p>Two phases per model, one job: saturation (the producer keeps {@value Run#WINDOW} records in flight, so the
 * job never waits for input; records/s of predictions, and the latency of those records, which is mostly
 * queueing behind the window), then a fixed offered rate (a
 * paced producer at {@code --rate-fraction} of the measured saturation rate; latency from send to the
 * consumer's receipt of the prediction, p50/p99). The record key carries the send sequence number.
 * Appends: model,phase,offered_per_s,records,records_per_s,p50_ms,p99_ms,batch,parallelism,delivery
 */
public final class EndToEndBench {
    private EndToEndBench() {}

    public static void main(String[] args) throws Exception {
        String[] models = Results.arg(args, "models", "fashion-lenet5").split(",");
        int seconds = Integer.parseInt(Results.arg(args, "seconds", "10"));
        double fraction = Double.parseDouble(Results.arg(args, "rate-fraction", "0.5"));
        int batch = Integer.parseInt(Results.arg(args, "batch", "64"));
        int parallelism = Integer.parseInt(Results.arg(args, "parallelism", "2"));
        Path out = Path.of(Results.arg(args, "out", "target/bench-results/e2e.csv"));
        // job: the InferenceJob; identity: the same Kafka source and sink passing the bytes through (this machine's
        // ceiling for the Kafka path, issue 15)
        String pipeline = Results.arg(args, "pipeline", "job");
        InferenceJobOptions.OutputFormat format = InferenceJobOptions.OutputFormat.valueOf(
                Results.arg(args, "output-format", "json").toUpperCase(java.util.Locale.ROOT));
        boolean includeOutputs = Boolean.parseBoolean(Results.arg(args, "include-outputs", "true"));
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            for (String id : models) {
                Run run = new EndToEndBench.Run(kafka.bootstrapServers(), BenchModel.of(id), batch, parallelism,
                        seconds, fraction, out);
                run.pipeline = pipeline;
                run.format = format;
                run.includeOutputs = includeOutputs;
                run.go();
            }
        }
        System.out.println("end-to-end benchmark done");
        System.exit(0); // the broker's and Flink's non-daemon threads
    }

    static final class Run {
        final String bootstrap;
        final BenchModel model;
        final int batch;
        final int parallelism;
        final int seconds;
        final double fraction;
        final Path out;
        final String in;
        final String outTopic;
        byte[][] payloads = new byte[BenchModel.SAMPLES][];
        String pipeline = "job";
        InferenceJobOptions.OutputFormat format = InferenceJobOptions.OutputFormat.JSON;
        boolean includeOutputs = true;
        volatile long[] sentNanos = new long[1 << 22];

        Run(String bootstrap, BenchModel model, int batch, int parallelism, int seconds, double fraction, Path out) {
            this.bootstrap = bootstrap;
            this.model = model;
            this.batch = batch;
            this.parallelism = parallelism;
            this.seconds = seconds;
            this.fraction = fraction;
            this.out = out;
            String suffix = model.id() + "-" + Long.toHexString(System.nanoTime());
            this.in = "bench-in-" + suffix;
            this.outTopic = "bench-out-" + suffix;
            for (int i = 0; i < payloads.length; i++) {
                payloads[i] = BinaryTensorCodec.encode("s" + i, Map.of(model.inputName(), model.sampleTensor(i)));
            }
        }

        void go() throws Exception {
            KafkaTools.ensureTopics(bootstrap, new Properties(), Map.of(in, 2, outTopic, 2, outTopic + "-dlq", 1));
            JobOptions o = JobOptions.builder()
                    .set(InferenceJobOptions.BOOTSTRAP, bootstrap)
                    .set(InferenceJobOptions.INPUT_TOPIC, in)
                    .set(InferenceJobOptions.OUTPUT_TOPIC, outTopic)
                    .set(InferenceJobOptions.DEAD_LETTER_TOPIC, outTopic + "-dlq")
                    .set(InferenceJobOptions.GROUP_ID, "bench-" + in)
                    .set(InferenceJobOptions.MODEL, "classpath:samples/" + model.id() + "/model.wasm")
                    .set(InferenceJobOptions.FORMAT, RecordDecoder.Format.BINARY)
                    .set(InferenceJobOptions.BATCH_SIZE, batch)
                    .set(InferenceJobOptions.MAX_DELAY_MS, 5)
                    .set(InferenceJobOptions.PARALLELISM, parallelism)
                    .set(InferenceJobOptions.DELIVERY, DeliveryGuarantee.AT_LEAST_ONCE)
                    .set(InferenceJobOptions.CHECKPOINT_MS, 1000)
                    .set(InferenceJobOptions.OUTPUT_FORMAT, format)
                    .set(InferenceJobOptions.INCLUDE_OUTPUTS, includeOutputs)
                    .build();
            Configuration conf = new Configuration();
            conf.set(TaskManagerOptions.NUM_TASK_SLOTS, parallelism);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
            if (pipeline.equals("identity")) {
                IdentityJob.build(env, bootstrap, in, outTopic, parallelism);
            } else {
                InferenceJob.build(env, o);
            }
            JobClient job = env.executeAsync("bench e2e " + model.id());
            try (KafkaProducer<byte[], byte[]> producer = KafkaTools.producer(bootstrap, new Properties());
                 KafkaConsumer<byte[], byte[]> consumer = KafkaTools.consumer(bootstrap, new Properties())) {
                List<TopicPartition> parts = List.of(new TopicPartition(outTopic, 0), new TopicPartition(outTopic, 1));
                consumer.assign(parts);
                consumer.seekToBeginning(parts);
                long seq = 0;
                // warm-up: until predictions flow (job start-up, partition assignment, JIT)
                long warm = model == BenchModel.DIGITS_MLP ? 20_000 : 5_000;
                seq = produce(producer, seq, warm, 0);
                receive(consumer, warm, null, 120);
                // saturation: send as fast as the producer can for `seconds`, measure output rate
                long satStart = seq;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
                Receiver rx = new Receiver(consumer, satStart);
                Thread t = new Thread(rx, "bench-consumer");
                t.start();
                while (System.nanoTime() < deadline && seq < sentNanos.length - 1000) {
                    while (seq - satStart - rx.got > WINDOW && System.nanoTime() < deadline) {
                        java.util.concurrent.locks.LockSupport.parkNanos(100_000);
                    }
                    seq = produce(producer, seq, 500, 0);
                }
                producer.flush();
                long satCount = seq - satStart;
                rx.expect(satCount);
                t.join(TimeUnit.SECONDS.toMillis(600));
                double satRate = rx.rate();
                Results.append(out, HEADER, label(), "saturation", "max", satCount, satRate, rx.p(0.5), rx.p(0.99),
                        batch, parallelism, "at-least-once");
                // fixed rate
                double rate = Math.max(1, satRate * fraction);
                long fixedStart = seq;
                long count = (long) (rate * seconds);
                rx = new Receiver(consumer, fixedStart);
                rx.expect(count);
                t = new Thread(rx, "bench-consumer");
                t.start();
                seq = produce(producer, seq, count, rate);
                producer.flush();
                t.join(TimeUnit.SECONDS.toMillis(600));
                Results.append(out, HEADER, label(), "fixed-rate", Math.round(rate), count, rx.rate(), rx.p(0.5),
                        rx.p(0.99), batch, parallelism, "at-least-once");
            } finally {
                job.cancel().get(60, TimeUnit.SECONDS);
            }
        }

        /** The model column: the model, and the variant when it is not the default job with JSON outputs. */
        String label() {
            if (pipeline.equals("identity")) {
                return model.id() + " identity";
            }
            return model.id() + (format == InferenceJobOptions.OutputFormat.JSON ? "" : " binary")
                    + (includeOutputs ? "" : " no-outputs");
        }

        /** Saturation: at most this many records in flight (sent, no prediction yet). */
        static final int WINDOW = 10_000;

        static final String HEADER =
                "model,phase,offered_per_s,records,records_per_s,p50_ms,p99_ms,batch,parallelism,delivery";

        /** Sends {@code n} records from sequence {@code from}, paced at {@code rate}/s (0: as fast as possible). */
        long produce(KafkaProducer<byte[], byte[]> producer, long from, long n, double rate) {
            long start = System.nanoTime();
            for (long i = 0; i < n; i++) {
                long seq = from + i;
                if (rate > 0) {
                    long due = start + (long) (i * 1e9 / rate);
                    long now;
                    while ((now = System.nanoTime()) < due) {
                        if (due - now > 200_000) {
                            java.util.concurrent.locks.LockSupport.parkNanos(due - now - 100_000);
                        }
                    }
                }
                byte[] key = ByteBuffer.allocate(8).putLong(seq).array();
                sentNanos[(int) seq] = System.nanoTime();
                producer.send(new ProducerRecord<>(in, key, payloads[(int) (seq % payloads.length)]));
            }
            return from + n;
        }

        /** Polls until {@code n} predictions with a sequence >= {@code from} arrived, or the timeout. */
        void receive(KafkaConsumer<byte[], byte[]> consumer, long n, long[] unused, int timeoutSeconds) {
            long got = 0;
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            while (got < n && System.nanoTime() < end) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    got++;
                }
            }
            if (got < n) {
                throw new IllegalStateException("only " + got + " of " + n + " warm-up predictions arrived");
            }
        }

        final class Receiver implements Runnable {
            final KafkaConsumer<byte[], byte[]> consumer;
            final long from;
            volatile long expected = Long.MAX_VALUE;
            final List<Long> latencies = new ArrayList<>();
            long first;
            long last;
            volatile long got;

            Receiver(KafkaConsumer<byte[], byte[]> consumer, long from) {
                this.consumer = consumer;
                this.from = from;
            }

            void expect(long n) {
                expected = n;
            }

            @Override
            public void run() {
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
                while (got < expected && System.nanoTime() < end) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                        long now = System.nanoTime();
                        long seq = ByteBuffer.wrap(r.key()).getLong();
                        if (seq < from) {
                            continue; // a late warm-up record
                        }
                        if (got == 0) {
                            first = now;
                        }
                        last = now;
                        got++;
                        latencies.add(now - sentNanos[(int) seq]);
                    }
                }
            }

            double rate() {
                return got <= 1 ? 0 : (got - 1) / ((last - first) / 1e9);
            }

            double p(double q) {
                long[] l = latencies.stream().mapToLong(Long::longValue).toArray();
                if (l.length == 0) {
                    return Double.NaN;
                }
                Arrays.sort(l);
                return l[Math.min(l.length - 1, (int) Math.floor(q * l.length))] / 1e6;
            }
        }
    }
}
