package io.wasminference.bench.kafka;

import io.wasminference.jobs.kafka.Profile;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.util.function.UnaryOperator;

/**
 * The Kafka path without the project: the same source and at-least-once sink as the InferenceJob, passing each
 * record's key and value through unchanged. What this machine can do end to end, the ceiling for issue 15.
 */
final class IdentityJob {
    private IdentityJob() {}

    static void build(StreamExecutionEnvironment env, String bootstrap, String in, String out, int parallelism) {
        build(env, bootstrap, in, out, parallelism, false, DeliveryGuarantee.AT_LEAST_ONCE, 1000, null);
    }

    /**
     * As above; {@code bounded} stops at the input's end offsets at start, as the job's --bounded does; a
     * {@code profile} (or null) tunes the Kafka clients as it tunes the job's, so both are compared alike.
     */
    static void build(StreamExecutionEnvironment env, String bootstrap, String in, String out, int parallelism,
            boolean bounded, DeliveryGuarantee delivery, int checkpointMs, Profile profile) {
        build(env, bootstrap, in, out, parallelism, bounded, delivery, checkpointMs, profile, s -> s);
    }

    /** As above, with {@code tap} between the source and the sink (a probe of the source's latency). */
    static void build(StreamExecutionEnvironment env, String bootstrap, String in, String out, int parallelism,
            boolean bounded, DeliveryGuarantee delivery, int checkpointMs, Profile profile,
            UnaryOperator<DataStream<Tuple2<byte[], byte[]>>> tap) {
        TypeInformation<Tuple2<byte[], byte[]>> type = Types.TUPLE(Types.PRIMITIVE_ARRAY(Types.BYTE),
                Types.PRIMITIVE_ARRAY(Types.BYTE));
        var source = KafkaSource.<Tuple2<byte[], byte[]>>builder()
                .setBootstrapServers(bootstrap).setTopics(in).setGroupId("bench-identity-" + in)
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setDeserializer(new KafkaRecordDeserializationSchema<Tuple2<byte[], byte[]>>() {
                    @Override
                    public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<Tuple2<byte[], byte[]>> c) {
                        c.collect(Tuple2.of(r.key(), r.value()));
                    }

                    @Override
                    public TypeInformation<Tuple2<byte[], byte[]>> getProducedType() {
                        return type;
                    }
                });
        if (bounded) {
            source.setBounded(OffsetsInitializer.latest());
        }
        // the job's consumer and producer settings: read committed records, a 15 min transaction timeout
        source.setProperty("isolation.level", "read_committed");
        if (profile != null) {
            profile.consumerProperties().forEach(source::setProperty);
        }
        var sink = KafkaSink.<Tuple2<byte[], byte[]>>builder()
                .setBootstrapServers(bootstrap).setDeliveryGuarantee(delivery)
                .setProperty("transaction.timeout.ms", "900000")
                .setRecordSerializer((KafkaRecordSerializationSchema<Tuple2<byte[], byte[]>>) (t, ctx, ts) ->
                        new ProducerRecord<>(out, null, ts, t.f0, t.f1));
        if (profile != null) {
            profile.producerProperties().forEach(sink::setProperty);
        }
        if (delivery == DeliveryGuarantee.EXACTLY_ONCE) {
            sink.setTransactionalIdPrefix("bench-identity-" + out);
        }
        tap.apply(env.fromSource(source.build(), WatermarkStrategy.noWatermarks(), "kafka " + in)
                .setParallelism(parallelism))
                .sinkTo(sink.build()).name("kafka " + out).setParallelism(parallelism);
        env.enableCheckpointing(checkpointMs);
    }
}
