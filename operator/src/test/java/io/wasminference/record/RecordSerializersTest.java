package io.wasminference.record;

import io.wasminference.abi.DType;
import io.wasminference.tensor.Tensor;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every serializer round-trips, including its snapshot, and Flink picks them up without Kryo. */
class RecordSerializersTest {

    private static final Tensor IMAGE = Tensor.wrap(DType.U8, new int[] {2, 2}, new byte[] {0, 1, (byte) 200, -1});
    private static final Tensor LOGITS = Tensor.ofFloats(new int[] {3}, 0.5f, -1f, Float.NaN);

    @Test
    void requestsRoundTrip() throws Exception {
        InferenceRequest full = new InferenceRequest("id-1", new byte[] {1, 2}, List.of(Header.of("trace", "abc"),
                new Header("bin", null)), Map.of("image", IMAGE, "mask", LOGITS), "in/3/42", new byte[] {9, 8, 7});
        InferenceRequest minimal = InferenceRequest.of("", Map.of("x", LOGITS));
        for (InferenceRequest r : List.of(full, minimal)) {
            assertThat(roundTrip(RecordTypeInfos.REQUEST, r)).isEqualTo(r);
        }
    }

    @Test
    void predictionsRoundTrip() throws Exception {
        Prediction p = new Prediction("id-1", null, List.of(Header.of("h", "v")), Map.of("logits", LOGITS),
                List.of(new ClassScore(0, "T-shirt/top", 0.7f), new ClassScore(2, "2", 0.2f)), "m", "1.0.0", 32,
                1234, 5678);
        assertThat(roundTrip(RecordTypeInfos.PREDICTION, p)).isEqualTo(p);
    }

    @Test
    void deadLettersRoundTrip() throws Exception {
        DeadLetter d = new DeadLetter("id-9", new byte[0], List.of(), "TRAP", "model m trapped: unreachable", "m",
                "2", "topic/0/17", new byte[] {'{'});
        DeadLetter undecodable = new DeadLetter("", null, List.of(), "DECODE", "malformed JSON", null, null, null,
                null);
        assertThat(roundTrip(RecordTypeInfos.DEAD_LETTER, d)).isEqualTo(d);
        assertThat(roundTrip(RecordTypeInfos.DEAD_LETTER, undecodable)).isEqualTo(undecodable);
    }

    @Test
    void controlCommandsAndModelEventsRoundTrip() throws Exception {
        for (ModelCommand c : java.util.List.of(ModelCommand.deploy("m", "2.0.0"), ModelCommand.rollback("m"))) {
            assertThat(roundTrip(RecordTypeInfos.COMMAND, c)).isEqualTo(c);
        }
        ModelEvent e = new ModelEvent(123L, 1, "deploy m:2", ModelEvent.REFUSED, "m", "1", "1", "incompatible");
        assertThat(roundTrip(RecordTypeInfos.EVENT, e)).isEqualTo(e);
    }

    @Test
    void controlCommandsParseFromJsonAndExplainMistakes() {
        assertThat(ModelCommand.parse("{\"command\": \"deploy\", \"name\": \"m\", \"version\": \"2\"}"))
                .isEqualTo(ModelCommand.deploy("m", "2"));
        assertThat(ModelCommand.parse("{\"command\": \"ROLLBACK\", \"name\": \"m\"}"))
                .isEqualTo(ModelCommand.rollback("m"));
        assertThatThrownBy(() -> ModelCommand.parse("{\"command\": \"deploy\", \"name\": \"m\"}"))
                .hasMessageContaining("lacks 'version'");
        assertThatThrownBy(() -> ModelCommand.parse("{\"command\": \"delete\", \"name\": \"m\"}"))
                .hasMessageContaining("unknown control command 'delete'");
        assertThatThrownBy(() -> ModelCommand.parse("deploy m 2")).hasMessageContaining("not JSON");
        // names and versions that are paths never leave the parser (docs/hot-swap.md, threat model)
        assertThatThrownBy(() -> ModelCommand.parse(
                "{\"command\": \"deploy\", \"name\": \"m\", \"version\": \"x\\\\..\\\\..\\\\outside\"}"))
                .hasMessageContaining("'version' must be a model version");
        assertThatThrownBy(() -> ModelCommand.parse("{\"command\": \"rollback\", \"name\": \"..\"}"))
                .hasMessageContaining("'name' must be a model name");
        assertThatThrownBy(() -> ModelCommand.parse("{\"command\": \"deploy\", \"name\": \"m\", \"version\": 2}"))
                .hasMessageContaining("'version' must be a model version");
        assertThatThrownBy(() -> ModelCommand.parse(
                "{\"command\": \"deploy\", \"name\": \"m\", \"version\": \"2\", \"version\": \"3\"}"))
                .hasMessageContaining("not JSON").hasMessageContaining("Duplicate field 'version'");
        assertThatThrownBy(() -> ModelCommand.parse("{\"command\": \"rollback\", \"name\": \"m\"} {}"))
                .hasMessageContaining("not JSON").hasMessageContaining("Trailing token");
    }

    @Test
    void flinkUsesTheseSerializersForTheAnnotatedTypes() {
        assertThat(TypeInformation.of(InferenceRequest.class)).isEqualTo(RecordTypeInfos.REQUEST);
        assertThat(TypeInformation.of(Prediction.class)).isEqualTo(RecordTypeInfos.PREDICTION);
        assertThat(TypeInformation.of(DeadLetter.class)).isEqualTo(RecordTypeInfos.DEAD_LETTER);
    }

    private static <T> T roundTrip(TypeInformation<T> info, T value) throws Exception {
        TypeSerializer<T> serializer = info.createSerializer(new SerializerConfigImpl());
        DataOutputSerializer out = new DataOutputSerializer(64);
        serializer.serialize(value, out);
        T back = serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));

        // copy(DataInputView, DataOutputView) writes the same bytes
        DataOutputSerializer copied = new DataOutputSerializer(64);
        serializer.copy(new DataInputDeserializer(out.getCopyOfBuffer()), copied);
        assertThat(copied.getCopyOfBuffer()).isEqualTo(out.getCopyOfBuffer());

        // the snapshot restores a compatible serializer
        TypeSerializerSnapshot<T> snapshot = serializer.snapshotConfiguration();
        DataOutputSerializer snapOut = new DataOutputSerializer(16);
        TypeSerializerSnapshot.writeVersionedSnapshot(snapOut, snapshot);
        TypeSerializerSnapshot<T> restored = TypeSerializerSnapshot.readVersionedSnapshot(
                new DataInputDeserializer(snapOut.getCopyOfBuffer()), RecordSerializersTest.class.getClassLoader());
        assertThat(restored.restoreSerializer()).isEqualTo(serializer);
        assertThat(restored.resolveSchemaCompatibility(snapshot).isCompatibleAsIs()).isTrue();
        return back;
    }
}
