package io.wasminference.bench.kafka;

import io.wasminference.bench.BenchModel;
import io.wasminference.bench.Results;
import io.wasminference.format.BinaryPredictionCodec;
import io.wasminference.format.BinaryTensorCodec;
import io.wasminference.record.Prediction;
import io.wasminference.format.RecordDecoder;
import io.wasminference.jobs.kafka.InferenceJob;
import io.wasminference.jobs.kafka.InferenceJobOptions;
import io.wasminference.jobs.kafka.JobOptions;
import io.wasminference.jobs.kafka.KafkaTools;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.java.tuple.Tuple2;
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
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * End to end latency: Kafka -> Flink (the project's InferenceJob, local MiniCluster in this JVM) -> Kafka, with a
 * KRaft broker in its own JVM ({@link BrokerProcess}), binary WIT1 input records and binary predictions (so the
 * consumer can read each prediction's queue and inference time), parallelism 2.
 *
 * <p>Per model, one job: saturation (the producer keeps {@value Run#WINDOW} records in flight, so the job never
 * waits for input; records/s of predictions), then a paced producer at each of {@code --rate-fractions} of that
 * rate. Latency is from the producer's send to the consumer's receipt of the prediction (the record key carries
 * the send sequence number), split into the operator's part (batch queue + wasm call, from the prediction) and
 * the rest (producer linger, broker, source fetch, sink, consumer fetch). {@code --profile} and {@code --delivery}
 * are the job's options. Appends: model,phase,offered_per_s,records,records_per_s,p50_ms,p99_ms,p999_ms,
 * queue_p50_ms,queue_p99_ms,operator_p99_ms,kafka_p50_ms,kafka_p99_ms,batch,parallelism,delivery,profile
 */
public final class EndToEndBench {
    private EndToEndBench() {}

    public static void main(String[] args) throws Exception {
        String[] models = Results.arg(args, "models", "fashion-lenet5").split(",");
        int seconds = Integer.parseInt(Results.arg(args, "seconds", "10"));
        double[] fractions = java.util.Arrays.stream(Results.arg(args, "rate-fractions", "0.25,0.5,0.8").split(","))
                .mapToDouble(Double::parseDouble).toArray();
        String batch = Results.arg(args, "batch", "");
        int parallelism = Integer.parseInt(Results.arg(args, "parallelism", "2"));
        Path out = Path.of(Results.arg(args, "out", "target/bench-results/e2e.csv"));
        // job: the InferenceJob; identity: the same Kafka source and sink passing the bytes through (this machine's
        // ceiling for the Kafka path, issue 15); identity-probe: the same, printing each paced phase's latency from
        // send to just after the Flink source; kafka: no job, the producer writes to the consumer's topic
        String pipeline = Results.arg(args, "pipeline", "job");
        String profile = Results.arg(args, "profile", "");
        DeliveryGuarantee delivery = DeliveryGuarantee.valueOf(
                Results.arg(args, "delivery", "at-least-once").replace('-', '_').toUpperCase(java.util.Locale.ROOT));
        try (BrokerProcess broker = BrokerProcess.start()) {
            for (String id : models) {
                Run run = new EndToEndBench.Run(broker.bootstrap(), BenchModel.of(id), batch, parallelism,
                        seconds, fractions, out);
                run.pipeline = pipeline;
                run.profile = profile;
                run.delivery = delivery;
                run.go();
            }
        }
        System.out.println("end-to-end benchmark done");
        System.exit(0); // the broker's and Flink's non-daemon threads
    }

    static final class Run {
        final String bootstrap;
        final BenchModel model;
        final String batch;
        final int parallelism;
        final int seconds;
        final double[] fractions;
        final Path out;
        final String in;
        final String outTopic;
        byte[][] payloads = new byte[BenchModel.SAMPLES][];
        String pipeline = "job";
        /** Where the producer writes: the job's input, or the output topic itself without a job. */
        String target;
        String profile = "";
        DeliveryGuarantee delivery = DeliveryGuarantee.AT_LEAST_ONCE;
        volatile long[] sentNanos = new long[1 << 22];

        Run(String bootstrap, BenchModel model, String batch, int parallelism, int seconds, double[] fractions,
                Path out) {
            this.bootstrap = bootstrap;
            this.model = model;
            this.batch = batch;
            this.parallelism = parallelism;
            this.seconds = seconds;
            this.fractions = fractions;
            this.out = out;
            String suffix = model.id() + "-" + Long.toHexString(System.nanoTime());
            this.in = "bench-in-" + suffix;
            this.outTopic = "bench-out-" + suffix;
            this.target = in;
            for (int i = 0; i < payloads.length; i++) {
                payloads[i] = BinaryTensorCodec.encode("s" + i, Map.of(model.inputName(), model.sampleTensor(i)));
            }
        }

        void go() throws Exception {
            KafkaTools.ensureTopics(bootstrap, new Properties(), Map.of(in, 2, outTopic, 2, outTopic + "-dlq", 1));
            JobOptions.Builder b = DrainJob.options(bootstrap, in, outTopic, "bench-" + in, model, parallelism,
                    delivery, 2000, profile)
                    .set(InferenceJobOptions.FORMAT, RecordDecoder.Format.BINARY)
                    .set(InferenceJobOptions.OUTPUT_FORMAT, InferenceJobOptions.OutputFormat.BINARY);
            if (!batch.isEmpty()) {
                b.argument(InferenceJobOptions.BATCH_SIZE.key(), batch);
            }
            JobOptions o = b.build();
            effectiveBatch = o.get(InferenceJobOptions.BATCH_SIZE);
            Configuration conf = new Configuration();
            conf.set(TaskManagerOptions.NUM_TASK_SLOTS, parallelism);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
            JobClient job = null;
            if (pipeline.equals("identity")) {
                IdentityJob.build(env, bootstrap, in, outTopic, parallelism, false, delivery, 2000,
                        o.getOptional(InferenceJobOptions.PROFILE).orElse(null));
            } else if (pipeline.equals("identity-probe")) {
                SourceProbe.SENT = sentNanos;
                IdentityJob.build(env, bootstrap, in, outTopic, parallelism, false, delivery, 2000,
                        o.getOptional(InferenceJobOptions.PROFILE).orElse(null),
                        s -> s.map(new SourceProbe()).returns(s.getType()).setParallelism(parallelism));
            } else if (pipeline.equals("kafka")) {
                target = outTopic; // no job: the producer writes where the consumer reads (Kafka's own latency)
            } else {
                InferenceJob.build(env, o);
            }
            if (!pipeline.equals("kafka")) {
                job = env.executeAsync("bench e2e " + model.id());
            }
            // the upstream producer sends at once (linger.ms 0), so what is measured is the job's latency
            Properties producerProps = new Properties();
            producerProps.put("bootstrap.servers", bootstrap);
            producerProps.put("linger.ms", "0");
            producerProps.put("acks", "all");
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps,
                    new org.apache.kafka.common.serialization.ByteArraySerializer(),
                    new org.apache.kafka.common.serialization.ByteArraySerializer());
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
                append("saturation", "max", satCount, rx);
                SourceProbe.take();
                for (double fraction : fractions) {
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
                    String share = fraction >= 0.01 ? Long.toString(Math.round(fraction * 100))
                            : java.math.BigDecimal.valueOf(fraction * 100).stripTrailingZeros().toPlainString();
                    append("paced " + share + "%", Long.toString(Math.round(rate)), count, rx);
                    if (pipeline.equals("identity-probe")) {
                        long[] a = SourceProbe.take();
                        System.out.printf(java.util.Locale.ROOT, "probe paced %s%%: send -> after the Flink source "
                                + "p50 %.2f ms, p99 %.2f ms (%d records)%n", share, a[a.length / 2] / 1e6,
                                a[(int) (a.length * 0.99)] / 1e6, a.length);
                    }
                }
            } finally {
                if (job != null) {
                    job.cancel().get(60, TimeUnit.SECONDS);
                }
            }
        }

        int effectiveBatch;

        void append(String phase, String offered, long records, Receiver rx) {
            Results.append(out, HEADER, label(), phase, offered, records, rx.rate(), rx.p(rx.total, 0.5),
                    rx.p(rx.total, 0.99), rx.p(rx.total, 0.999), rx.p(rx.queue, 0.5), rx.p(rx.queue, 0.99),
                    rx.p(rx.operator, 0.99), rx.p(rx.kafka, 0.5), rx.p(rx.kafka, 0.99), effectiveBatch, parallelism,
                    delivery.toString().toLowerCase(java.util.Locale.ROOT).replace('_', '-'),
                    profile.isEmpty() ? "default" : profile);
        }

        /** The model column: the model, and the pipeline when it is not the job. */
        String label() {
            return model.id() + (pipeline.equals("job") ? "" : " " + pipeline);
        }

        /** Saturation: at most this many records in flight (sent, no prediction yet). */
        static final int WINDOW = 10_000;

        static final String HEADER = "model,phase,offered_per_s,records,records_per_s,p50_ms,p99_ms,p999_ms,"
                + "queue_p50_ms,queue_p99_ms,operator_p99_ms,kafka_p50_ms,kafka_p99_ms,batch,parallelism,delivery,"
                + "profile";

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
                producer.send(new ProducerRecord<>(target, key, payloads[(int) (seq % payloads.length)]));
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
            /** Nanoseconds from send to receipt; of it, in the batch queue; in the operator; outside it. */
            final LongList total = new LongList();
            final LongList queue = new LongList();
            final LongList operator = new LongList();
            final LongList kafka = new LongList();
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
                        long latency = now - sentNanos[(int) seq];
                        total.add(latency);
                        if (BinaryPredictionCodec.isBinaryPrediction(r.value())) {
                            Prediction p = BinaryPredictionCodec.decode(r.value());
                            long op = (p.queueMicros() + p.inferenceMicros()) * 1000;
                            queue.add(p.queueMicros() * 1000);
                            operator.add(op);
                            kafka.add(latency - op);
                        }
                    }
                }
            }

            double rate() {
                return got <= 1 ? 0 : (got - 1) / ((last - first) / 1e9);
            }

            /** The {@code q} quantile of {@code l} in milliseconds, NaN when empty. */
            double p(LongList l, double q) {
                long[] a = l.sorted();
                if (a.length == 0) {
                    return Double.NaN;
                }
                return a[Math.min(a.length - 1, (int) Math.floor(q * a.length))] / 1e6;
            }
        }
    }

    /** A growable array of longs (millions of latencies without boxing). */
    static final class LongList {
        private long[] values = new long[1024];
        private int size;

        void add(long v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        void clear() {
            size = 0;
        }

        long[] sorted() {
            long[] a = Arrays.copyOf(values, size);
            Arrays.sort(a);
            return a;
        }
    }

    /** Records, in this JVM, how long each record took from the producer's send to just after the Flink source. */
    static final class SourceProbe implements MapFunction<Tuple2<byte[], byte[]>, Tuple2<byte[], byte[]>> {
        private static final long serialVersionUID = 1L;
        static volatile long[] SENT;
        private static final LongList SEEN = new LongList();

        @Override
        public Tuple2<byte[], byte[]> map(Tuple2<byte[], byte[]> t) {
            long latency = System.nanoTime() - SENT[(int) ByteBuffer.wrap(t.f0).getLong()];
            synchronized (SEEN) {
                SEEN.add(latency);
            }
            return t;
        }

        /** The latencies so far, sorted, and forgets them. */
        static long[] take() {
            synchronized (SEEN) {
                long[] a = SEEN.sorted();
                SEEN.clear();
                return a;
            }
        }
    }
}
