package io.wasminference.record;

import io.wasminference.tensor.Tensor;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The Flink serializers of {@link InferenceRequest}, {@link Prediction} and {@link DeadLetter}. */
public final class RecordSerializers {
    private RecordSerializers() {}

    /** Serializer of {@link InferenceRequest}. */
    public static final class RequestSerializer extends RecordSerializer<InferenceRequest> {
        private static final long serialVersionUID = 1L;
        public static final RequestSerializer INSTANCE = new RequestSerializer();

        @Override
        public void serialize(InferenceRequest r, DataOutputView out) throws IOException {
            out.writeUTF(r.id());
            FieldCodec.writeNullableBytes(r.key(), out);
            FieldCodec.writeHeaders(r.headers(), out);
            FieldCodec.writeTensors(r.inputs(), out);
            FieldCodec.writeNullableString(r.origin(), out);
            FieldCodec.writeNullableBytes(r.payload(), out);
        }

        @Override
        public InferenceRequest deserialize(DataInputView in) throws IOException {
            String id = in.readUTF();
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
            out.writeUTF(p.id());
            FieldCodec.writeNullableBytes(p.key(), out);
            FieldCodec.writeHeaders(p.headers(), out);
            FieldCodec.writeTensors(p.outputs(), out);
            out.writeInt(p.topK().size());
            for (ClassScore c : p.topK()) {
                out.writeInt(c.index());
                out.writeUTF(c.label());
                out.writeFloat(c.probability());
            }
            out.writeUTF(p.modelName());
            out.writeUTF(p.modelVersion());
            out.writeInt(p.batchSize());
            out.writeLong(p.queueMicros());
            out.writeLong(p.inferenceMicros());
        }

        @Override
        public Prediction deserialize(DataInputView in) throws IOException {
            String id = in.readUTF();
            byte[] key = FieldCodec.readNullableBytes(in);
            List<Header> headers = FieldCodec.readHeaders(in);
            Map<String, Tensor> outputs = FieldCodec.readTensors(in);
            int k = in.readInt();
            List<ClassScore> top = new ArrayList<>(k);
            for (int i = 0; i < k; i++) {
                top.add(new ClassScore(in.readInt(), in.readUTF(), in.readFloat()));
            }
            return new Prediction(id, key, headers, outputs, top, in.readUTF(), in.readUTF(), in.readInt(),
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
            out.writeUTF(d.id());
            FieldCodec.writeNullableBytes(d.key(), out);
            FieldCodec.writeHeaders(d.headers(), out);
            out.writeUTF(d.errorKind());
            out.writeUTF(d.reason().length() > 16_000 ? d.reason().substring(0, 16_000) : d.reason());
            out.writeUTF(d.modelName());
            out.writeUTF(d.modelVersion());
            FieldCodec.writeNullableString(d.origin(), out);
            FieldCodec.writeNullableBytes(d.payload(), out);
        }

        @Override
        public DeadLetter deserialize(DataInputView in) throws IOException {
            return new DeadLetter(in.readUTF(), FieldCodec.readNullableBytes(in), FieldCodec.readHeaders(in),
                    in.readUTF(), in.readUTF(), in.readUTF(), in.readUTF(), FieldCodec.readNullableString(in),
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
            out.writeUTF(c.name());
            out.writeUTF(c.version());
        }

        @Override
        public ModelCommand deserialize(DataInputView in) throws IOException {
            return new ModelCommand(ModelCommand.Action.values()[in.readByte()], in.readUTF(), in.readUTF());
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
            out.writeUTF(e.command());
            out.writeUTF(e.status());
            out.writeUTF(e.modelName());
            out.writeUTF(e.servingVersion());
            out.writeUTF(e.previousVersion());
            out.writeUTF(e.reason().length() > 16_000 ? e.reason().substring(0, 16_000) : e.reason());
        }

        @Override
        public ModelEvent deserialize(DataInputView in) throws IOException {
            return new ModelEvent(in.readLong(), in.readInt(), in.readUTF(), in.readUTF(), in.readUTF(), in.readUTF(),
                    in.readUTF(), in.readUTF());
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
