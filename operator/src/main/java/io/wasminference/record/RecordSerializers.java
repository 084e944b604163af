package io.wasminference.record;

import io.wasminference.tensor.Tensor;
import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.types.StringValue;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The Flink serializers of {@link InferenceRequest}, {@link Prediction} and {@link DeadLetter}. */
@Internal
public final class RecordSerializers {
    private RecordSerializers() {}

    /** Serializer of {@link InferenceRequest}. */
    public static final class RequestSerializer extends RecordSerializer<InferenceRequest> {
        private static final long serialVersionUID = 1L;
        public static final RequestSerializer INSTANCE = new RequestSerializer();

        @Override
        public void serialize(InferenceRequest r, DataOutputView out) throws IOException {
            StringValue.writeString(r.id(), out);
            FieldCodec.writeNullableBytes(r.key(), out);
            FieldCodec.writeHeaders(r.headers(), out);
            FieldCodec.writeTensors(r.inputs(), out);
            FieldCodec.writeNullableString(r.origin(), out);
            FieldCodec.writeNullableBytes(r.payload(), out);
        }

        @Override
        public InferenceRequest deserialize(DataInputView in) throws IOException {
            String id = StringValue.readString(in);
            byte[] key = FieldCodec.readNullableBytes(in);
            List<Header> headers = FieldCodec.readHeaders(in);
            Map<String, Tensor> inputs = FieldCodec.readTensors(in);
            String origin = FieldCodec.readNullableString(in);
            byte[] payload = FieldCodec.readNullableBytes(in);
            return new InferenceRequest(id, key, headers, inputs, origin, payload);
        }

        @Override
        public TypeSerializerSnapshot<InferenceRequest> snapshotConfiguration() {
            return new RequestSnapshot();
        }
    }

    /** Serializer of {@link Prediction}. */
    public static final class PredictionSerializer extends RecordSerializer<Prediction> {
        private static final long serialVersionUID = 1L;
        public static final PredictionSerializer INSTANCE = new PredictionSerializer();

        @Override
        public void serialize(Prediction p, DataOutputView out) throws IOException {
            StringValue.writeString(p.id(), out);
            FieldCodec.writeNullableBytes(p.key(), out);
            FieldCodec.writeHeaders(p.headers(), out);
            FieldCodec.writeTensors(p.outputs(), out);
            out.writeInt(p.topK().size());
            for (ClassScore c : p.topK()) {
                out.writeInt(c.index());
                StringValue.writeString(c.label(), out);
                out.writeFloat(c.probability());
            }
            StringValue.writeString(p.modelName(), out);
            StringValue.writeString(p.modelVersion(), out);
            out.writeInt(p.batchSize());
            out.writeLong(p.queueMicros());
            out.writeLong(p.inferenceMicros());
        }

        @Override
        public Prediction deserialize(DataInputView in) throws IOException {
            String id = StringValue.readString(in);
            byte[] key = FieldCodec.readNullableBytes(in);
            List<Header> headers = FieldCodec.readHeaders(in);
            Map<String, Tensor> outputs = FieldCodec.readTensors(in);
            int k = in.readInt();
            List<ClassScore> top = new ArrayList<>(k);
            for (int i = 0; i < k; i++) {
                top.add(new ClassScore(in.readInt(), StringValue.readString(in), in.readFloat()));
            }
            return new Prediction(id, key, headers, outputs, top, StringValue.readString(in), StringValue.readString(in), in.readInt(),
                    in.readLong(), in.readLong());
        }

        @Override
        public TypeSerializerSnapshot<Prediction> snapshotConfiguration() {
            return new PredictionSnapshot();
        }
    }

    /** Serializer of {@link DeadLetter}. */
    public static final class DeadLetterSerializer extends RecordSerializer<DeadLetter> {
        private static final long serialVersionUID = 1L;
        public static final DeadLetterSerializer INSTANCE = new DeadLetterSerializer();

        @Override
        public void serialize(DeadLetter d, DataOutputView out) throws IOException {
            StringValue.writeString(d.id(), out);
            FieldCodec.writeNullableBytes(d.key(), out);
            FieldCodec.writeHeaders(d.headers(), out);
            StringValue.writeString(d.errorKind(), out);
            StringValue.writeString(d.reason().length() > 16_000 ? d.reason().substring(0, 16_000) : d.reason(), out);
            StringValue.writeString(d.modelName(), out);
            StringValue.writeString(d.modelVersion(), out);
            FieldCodec.writeNullableString(d.origin(), out);
            FieldCodec.writeNullableBytes(d.payload(), out);
        }

        @Override
        public DeadLetter deserialize(DataInputView in) throws IOException {
            return new DeadLetter(StringValue.readString(in), FieldCodec.readNullableBytes(in), FieldCodec.readHeaders(in),
                    StringValue.readString(in), StringValue.readString(in), StringValue.readString(in), StringValue.readString(in), FieldCodec.readNullableString(in),
                    FieldCodec.readNullableBytes(in));
        }

        @Override
        public TypeSerializerSnapshot<DeadLetter> snapshotConfiguration() {
            return new DeadLetterSnapshot();
        }
    }

    /** Serializer of {@link ModelCommand}. */
    public static final class CommandSerializer extends RecordSerializer<ModelCommand> {
        private static final long serialVersionUID = 1L;
        public static final CommandSerializer INSTANCE = new CommandSerializer();

        @Override
        public void serialize(ModelCommand c, DataOutputView out) throws IOException {
            out.writeByte(c.action().ordinal());
            StringValue.writeString(c.name(), out);
            StringValue.writeString(c.version(), out);
        }

        @Override
        public ModelCommand deserialize(DataInputView in) throws IOException {
            return new ModelCommand(ModelCommand.Action.values()[in.readByte()], StringValue.readString(in), StringValue.readString(in));
        }

        @Override
        public TypeSerializerSnapshot<ModelCommand> snapshotConfiguration() {
            return new CommandSnapshot();
        }
    }

    /** Serializer of {@link ModelEvent}. */
    public static final class EventSerializer extends RecordSerializer<ModelEvent> {
        private static final long serialVersionUID = 1L;
        public static final EventSerializer INSTANCE = new EventSerializer();

        @Override
        public void serialize(ModelEvent e, DataOutputView out) throws IOException {
            out.writeLong(e.timestampMillis());
            out.writeInt(e.subtask());
            StringValue.writeString(e.command(), out);
            StringValue.writeString(e.status(), out);
            StringValue.writeString(e.modelName(), out);
            StringValue.writeString(e.servingVersion(), out);
            StringValue.writeString(e.previousVersion(), out);
            StringValue.writeString(e.reason().length() > 16_000 ? e.reason().substring(0, 16_000) : e.reason(), out);
        }

        @Override
        public ModelEvent deserialize(DataInputView in) throws IOException {
            return new ModelEvent(in.readLong(), in.readInt(), StringValue.readString(in), StringValue.readString(in), StringValue.readString(in), StringValue.readString(in),
                    StringValue.readString(in), StringValue.readString(in));
        }

        @Override
        public TypeSerializerSnapshot<ModelEvent> snapshotConfiguration() {
            return new EventSnapshot();
        }
    }

    /** Snapshot of {@link CommandSerializer} (stateless). */
    public static final class CommandSnapshot extends SimpleTypeSerializerSnapshot<ModelCommand> {
        public CommandSnapshot() {
            super(() -> CommandSerializer.INSTANCE);
        }
    }

    /** Snapshot of {@link EventSerializer} (stateless). */
    public static final class EventSnapshot extends SimpleTypeSerializerSnapshot<ModelEvent> {
        public EventSnapshot() {
            super(() -> EventSerializer.INSTANCE);
        }
    }

    /** Snapshot of {@link RequestSerializer} (stateless). */
    public static final class RequestSnapshot extends SimpleTypeSerializerSnapshot<InferenceRequest> {
        public RequestSnapshot() {
            super(() -> RequestSerializer.INSTANCE);
        }
    }

    /** Snapshot of {@link PredictionSerializer} (stateless). */
    public static final class PredictionSnapshot extends SimpleTypeSerializerSnapshot<Prediction> {
        public PredictionSnapshot() {
            super(() -> PredictionSerializer.INSTANCE);
        }
    }

    /** Snapshot of {@link DeadLetterSerializer} (stateless). */
    public static final class DeadLetterSnapshot extends SimpleTypeSerializerSnapshot<DeadLetter> {
        public DeadLetterSnapshot() {
            super(() -> DeadLetterSerializer.INSTANCE);
        }
    }
}
