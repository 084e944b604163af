package io.wasminference.jobs.kafka;

import io.wasminference.metrics.InferenceMetrics;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.errors.WasmInferenceException;
import io.wasminference.format.RecordDecoder;
import io.wasminference.format.Sample;
import io.wasminference.model.ModelRef;
import io.wasminference.record.DeadLetter;
import io.wasminference.record.Header;
import io.wasminference.record.InferenceRequest;
import io.wasminference.record.RecordTypeInfos;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.runtime.WasmModel;
import org.apache.flink.metrics.Counter;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.EitherTypeInfo;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.util.ArrayList;
import java.util.List;

/**
 * Decodes Kafka records into inference requests against the model's input metadata. Never throws: a record that
 * cannot be decoded becomes a {@code DECODE} dead letter with its original bytes and offset.
 */
public final class RequestDeserializer implements KafkaRecordDeserializationSchema<Either<InferenceRequest, DeadLetter>> {
    private static final long serialVersionUID = 1L;

    /** Error kind of records that could not be decoded. */
    public static final String DECODE = "DECODE";

    private final ModelRef model;
    private final RecordDecoder.Format format;
    private final int maxRecordBytes;
    private transient RecordDecoder decoder;
    private transient Counter decodeDeadLetters;

    public RequestDeserializer(ModelRef model, RecordDecoder.Format format, int maxRecordBytes) {
        this.model = model;
        this.format = format;
        this.maxRecordBytes = maxRecordBytes;
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        ModelMetadata metadata = WasmModel.metadataOf(model.load(), SandboxLimits.MAX_MEMORY_LIMIT_BYTES / 65536);
        decoder = new RecordDecoder(metadata, format, maxRecordBytes);
        decodeDeadLetters = InferenceMetrics.deadLetterCounter(
                context.getMetricGroup().addGroup(InferenceMetrics.GROUP), DECODE);
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Either<InferenceRequest, DeadLetter>> out) {
        String origin = record.topic() + "/" + record.partition() + "/" + record.offset();
        List<Header> headers = new ArrayList<>();
        record.headers().forEach(h -> headers.add(new Header(h.key(), h.value())));
        try {
            Sample s = decoder.decode(record.value());
            String id = s.id().isEmpty() ? origin : s.id();
            out.collect(Either.Left(new InferenceRequest(id, record.key(), headers, s.inputs(), origin,
                    record.value())));
        } catch (WasmInferenceException e) {
            decodeDeadLetters.inc();
            out.collect(Either.Right(new DeadLetter(origin, record.key(), headers, DECODE, e.getMessage(), null,
                    null, origin, record.value())));
        }
    }

    @Override
    public TypeInformation<Either<InferenceRequest, DeadLetter>> getProducedType() {
        return new EitherTypeInfo<>(RecordTypeInfos.REQUEST, RecordTypeInfos.DEAD_LETTER);
    }
}
