package io.wasminference.operator;

import io.wasminference.model.ModelVersion;
import io.wasminference.record.ModelCommand;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The typed serving state: its serializer and snapshot, and the reader of release 0.1's byte[] entries. */
class ServingStateSerializerTest {
    private static final ModelVersion V1 = new ModelVersion("m", "1", "a".repeat(64), "/r/m/1/model.wasm");
    private static final ModelVersion V2 = new ModelVersion("m", "2", "b".repeat(64), "file:/r/m/2/model.wasm");
    private static final ServingStateSerializer SERIALIZER = ServingStateSerializer.INSTANCE;

    @Test
    void servingStatesWithPendingCommandsRoundTrip() throws Exception {
        ServingState s = new ServingState(3, List.of(V1, V2),
                List.of(ModelCommand.deploy("m", "3"), ModelCommand.rollback("m"), ModelCommand.deploy("m", "4")));
        assertThat(roundTrip(s)).isEqualTo(s);
        assertThat(roundTrip(s).current()).isEqualTo(V2);
        ServingState none = new ServingState(0, List.of(V1));
        assertThat(roundTrip(none)).isEqualTo(none);
        // long strings (a location beyond writeUTF's 64 KiB)
        ServingState longLocation = new ServingState(1,
                List.of(new ModelVersion("m", "1", "c".repeat(64), "s3://b/" + "x".repeat(70_000))));
        assertThat(roundTrip(longLocation)).isEqualTo(longLocation);

        DataOutputSerializer out = new DataOutputSerializer(64);
        SERIALIZER.serialize(s, out);
        DataOutputSerializer copied = new DataOutputSerializer(64);
        SERIALIZER.copy(new DataInputDeserializer(out.getCopyOfBuffer()), copied);
        assertThat(copied.getCopyOfBuffer()).isEqualTo(out.getCopyOfBuffer());
    }

    @Test
    void theSnapshotRestoresTheSerializerAndRefusesOtherState() throws Exception {
        TypeSerializerSnapshot<ServingState> restored = viaBytes(SERIALIZER.snapshotConfiguration());
        assertThat(restored).isInstanceOf(ServingStateSerializer.Snapshot.class);
        assertThat(restored.restoreSerializer()).isEqualTo(SERIALIZER);
        assertThat(SERIALIZER.snapshotConfiguration().resolveSchemaCompatibility(restored).isCompatibleAsIs())
                .isTrue();
        assertThat(SERIALIZER.duplicate()).isEqualTo(SERIALIZER);

        // state written by another serializer under the same name is refused, not misread
        @SuppressWarnings({"unchecked", "rawtypes"})
        TypeSerializerSnapshot<ServingState> strings = (TypeSerializerSnapshot) StringSerializer.INSTANCE
                .snapshotConfiguration();
        TypeSerializerSchemaCompatibility<ServingState> c =
                SERIALIZER.snapshotConfiguration().resolveSchemaCompatibility(strings);
        assertThat(c.isIncompatible()).isTrue();
    }

    @Test
    void aSnapshotOfAFormatThisCodeDoesNotKnowIsRefusedClearly() throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(64);
        TypeSerializerSnapshot.writeVersionedSnapshot(out, SERIALIZER.snapshotConfiguration());
        byte[] bytes = out.getCopyOfBuffer();
        // the snapshot's version is the last int written
        ByteBuffer.wrap(bytes).putInt(bytes.length - 4, ServingStateSerializer.FORMAT + 1);
        assertThatThrownBy(() -> TypeSerializerSnapshot.readVersionedSnapshot(new DataInputDeserializer(bytes),
                getClass().getClassLoader()))
                .hasMessageContaining("format " + (ServingStateSerializer.FORMAT + 1))
                .hasMessageContaining("restore with a matching release");
    }

    @Test
    void corruptCountsAreRefusedBeforeAnythingIsAllocated() throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(64);
        SERIALIZER.serialize(new ServingState(1, List.of(V1)), out);
        byte[] bytes = out.getCopyOfBuffer();
        ByteBuffer.wrap(bytes).putInt(4, Integer.MAX_VALUE); // the history count
        assertThatThrownBy(() -> SERIALIZER.deserialize(new DataInputDeserializer(bytes)))
                .hasMessageContaining("corrupt checkpointed serving state: 2147483647 served versions");
    }

    // Release 0.1's byte[] entries (the committed savepoints hold format 3; ReleaseSavepointRestoreITCase and
    // KafkaJobReleaseSavepointITCase restore them).

    @Test
    void release01EntriesOfEveryFormatAreRead() throws Exception {
        assertThat(LegacyServingState.read(version(V1)).history()).containsExactly(V1); // format 1
        assertThat(LegacyServingState.read(legacy(2, 5, List.of(V1, V2), List.of())))
                .isEqualTo(new ServingState(5, List.of(V1, V2)));
        assertThat(LegacyServingState.read(legacy(3, 1, List.of(V1, V2),
                List.of(ModelCommand.deploy("m", "3"), ModelCommand.rollback("m")))))
                .isEqualTo(new ServingState(1, List.of(V1, V2),
                        List.of(ModelCommand.deploy("m", "3"), ModelCommand.rollback("m"))));
    }

    @Test
    void corruptOrUnknownRelease01EntriesAreRefusedClearly() throws Exception {
        byte[] corrupt = legacy(3, 1, List.of(V1), List.of());
        ByteBuffer.wrap(corrupt).putInt(8, Integer.MAX_VALUE); // the history count
        assertThatThrownBy(() -> LegacyServingState.read(corrupt))
                .hasMessageContaining("corrupt checkpointed serving state: 2147483647 served versions");
        byte[] future = legacy(3, 1, List.of(V1), List.of());
        future[3] = 9;
        assertThatThrownBy(() -> LegacyServingState.read(future)).hasMessageContaining("format 9");
        byte[] futureVersion = version(V1);
        futureVersion[3] = 9;
        assertThatThrownBy(() -> LegacyServingState.read(futureVersion)).hasMessageContaining("format 9");
    }

    private static ServingState roundTrip(ServingState s) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        SERIALIZER.serialize(s, out);
        TypeSerializer<ServingState> restored = viaBytes(SERIALIZER.snapshotConfiguration()).restoreSerializer();
        return restored.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
    }

    private static TypeSerializerSnapshot<ServingState> viaBytes(TypeSerializerSnapshot<ServingState> snapshot)
            throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(16);
        TypeSerializerSnapshot.writeVersionedSnapshot(out, snapshot);
        return TypeSerializerSnapshot.readVersionedSnapshot(new DataInputDeserializer(out.getCopyOfBuffer()),
                ServingStateSerializerTest.class.getClassLoader());
    }

    /** A format-1 model version as release 0.1 wrote it. */
    private static byte[] version(ModelVersion v) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(1);
            out.writeUTF(v.name());
            out.writeUTF(v.version());
            out.writeUTF(v.sha256());
            out.writeUTF(v.location());
        }
        return bytes.toByteArray();
    }

    /** A serving state entry of format 2 or 3 as release 0.1 wrote it (ServingState.toBytes at 665f8e1). */
    private static byte[] legacy(int format, int subtask, List<ModelVersion> history, List<ModelCommand> pending)
            throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(format);
            out.writeInt(subtask);
            out.writeInt(history.size());
            for (ModelVersion v : history) {
                byte[] b = version(v);
                out.writeInt(b.length);
                out.write(b);
            }
            if (format == 3) {
                out.writeInt(pending.size());
                for (ModelCommand c : pending) {
                    out.writeByte(c.action().ordinal());
                    out.writeUTF(c.name());
                    out.writeUTF(c.version());
                }
            }
        }
        return bytes.toByteArray();
    }
}
