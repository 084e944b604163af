package io.wasminference.jobs.kafka;

import io.wasminference.format.BinaryPredictionCodec;
import io.wasminference.format.PredictionJson;
import io.wasminference.record.DeadLetter;
import io.wasminference.record.Header;
import io.wasminference.record.ModelEvent;
import io.wasminference.record.Prediction;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Kafka record serializers of predictions and dead letters: the input's key and headers are carried through. */
final class Serializers {
    private Serializers() {}

    /** Header naming the model version that produced a prediction (or was serving when a record failed). */
    static final String MODEL_HEADER = "wasm-inference-model";
    /** Header with a dead letter's error kind. */
    static final String ERROR_HEADER = "wasm-inference-error";

    static final class PredictionSerializer implements KafkaRecordSerializationSchema<Prediction> {
        private static final long serialVersionUID = 1L;
        private final String topic;
        private final boolean includeOutputs;
        private final boolean binary;

        PredictionSerializer(String topic, boolean includeOutputs, InferenceJobOptions.OutputFormat format) {
            this.topic = topic;
            this.includeOutputs = includeOutputs;
            this.binary = format == InferenceJobOptions.OutputFormat.BINARY;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(Prediction p, KafkaSinkContext context, Long timestamp) {
            List<org.apache.kafka.common.header.Header> headers = kafkaHeaders(p.headers());
            headers.add(new RecordHeader(MODEL_HEADER,
                    (p.modelName() + ":" + p.modelVersion()).getBytes(StandardCharsets.UTF_8)));
            byte[] value = binary ? BinaryPredictionCodec.encode(p, includeOutputs)
                    : PredictionJson.encode(p, includeOutputs);
            return new ProducerRecord<>(topic, null, timestamp, p.key(), value, headers);
        }
    }

    /** Dead letters with at most {@code maxPayloadBytes} of the original record (see PredictionJson). */
    static final class DeadLetterSerializer implements KafkaRecordSerializationSchema<DeadLetter> {
        private static final long serialVersionUID = 1L;
        private final String topic;
        private final int maxPayloadBytes;

        DeadLetterSerializer(String topic, int maxPayloadBytes) {
            this.topic = topic;
            this.maxPayloadBytes = maxPayloadBytes;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(DeadLetter d, KafkaSinkContext context, Long timestamp) {
            List<org.apache.kafka.common.header.Header> headers = kafkaHeaders(d.headers());
            headers.add(new RecordHeader(ERROR_HEADER, d.errorKind().getBytes(StandardCharsets.UTF_8)));
            return new ProducerRecord<>(topic, null, timestamp, d.key(), PredictionJson.encode(d, maxPayloadBytes),
                    headers);
        }
    }

    static final class EventSerializer implements KafkaRecordSerializationSchema<ModelEvent> {
        private static final long serialVersionUID = 1L;
        private final String topic;

        EventSerializer(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(ModelEvent e, KafkaSinkContext context, Long timestamp) {
            return new ProducerRecord<>(topic, null, e.timestampMillis(),
                    e.modelName().getBytes(StandardCharsets.UTF_8), PredictionJson.encode(e));
        }
    }

    private static List<org.apache.kafka.common.header.Header> kafkaHeaders(List<Header> headers) {
        List<org.apache.kafka.common.header.Header> out = new ArrayList<>(headers.size() + 1);
        for (Header h : headers) {
            out.add(new RecordHeader(h.name(), h.value()));
        }
        return out;
    }
}
