package io.wasminference.savepoints;

import io.wasminference.model.ServingState;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.memory.DataInputViewStreamWrapper;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.state.OperatorBackendSerializationProxy;
import org.apache.flink.runtime.state.OperatorStateHandle;
import org.apache.flink.runtime.state.metainfo.StateMetaInfoSnapshot;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a savepoint directory's {@code _metadata} without running a job: every operator (uid, name, id,
 * parallelism), its operator-state names with distribution mode, element counts and serializer snapshot classes,
 * and the decoded {@link ServingState} entries of the wasm-inference operator. Used by the generators to check what
 * they wrote and to produce the README's description.
 */
public final class SavepointInspector {
    /** The release's operator state name (WasmInferenceFunction.STATE_NAME, package-private there). */
    public static final String MODEL_STATE = "wasm-inference-model-version";

    private SavepointInspector() {}

    /** One operator-state entry of one subtask. */
    public record StateInfo(String name, String mode, int elements, String serializerSnapshot) {}

    /** One operator of the savepoint. */
    public record OperatorInfo(String uid, String name, String operatorId, int parallelism, int maxParallelism,
            Map<Integer, List<StateInfo>> managedOperatorState, boolean keyedState, boolean rawState,
            boolean inFlightData, int coordinatorStateBytes) {}

    public static CheckpointMetadata load(Path savepointDir) throws IOException {
        try (DataInputStream in = new DataInputStream(Files.newInputStream(savepointDir.resolve("_metadata")))) {
            return Checkpoints.loadCheckpointMetadata(in, SavepointInspector.class.getClassLoader(),
                    savepointDir.toUri().toString());
        }
    }

    public static List<OperatorInfo> operators(Path savepointDir) throws IOException {
        List<OperatorInfo> out = new ArrayList<>();
        for (OperatorState op : load(savepointDir).getOperatorStates()) {
            Map<Integer, List<StateInfo>> managed = new TreeMap<>();
            boolean keyed = false;
            boolean raw = false;
            boolean inFlight = false;
            for (Map.Entry<Integer, OperatorSubtaskState> e : op.getSubtaskStates().entrySet()) {
                OperatorSubtaskState s = e.getValue();
                List<StateInfo> states = new ArrayList<>();
                for (OperatorStateHandle h : s.getManagedOperatorState()) {
                    states.addAll(describe(h));
                }
                managed.put(e.getKey(), states);
                keyed |= s.getManagedKeyedState().hasState();
                raw |= s.getRawOperatorState().hasState() || s.getRawKeyedState().hasState();
                inFlight |= s.getInputChannelState().hasState() || s.getResultSubpartitionState().hasState();
            }
            int coordinator = op.getCoordinatorState() == null ? 0 : op.getCoordinatorState().getData().length;
            out.add(new OperatorInfo(op.getOperatorUid().orElse("(none)"), op.getOperatorName().orElse("(none)"),
                    op.getOperatorID().toHexString(), op.getParallelism(), op.getMaxParallelism(), managed, keyed, raw,
                    inFlight, coordinator));
        }
        return out;
    }

    /** The decoded wasm-inference state of the operator with {@code uid}, by subtask. */
    public static Map<Integer, List<ServingState>> servingStates(Path savepointDir, String uid) throws IOException {
        Map<Integer, List<ServingState>> out = new TreeMap<>();
        listState(savepointDir, uid, MODEL_STATE).forEach((subtask, elements) ->
                out.put(subtask, elements.stream().map(ServingState::fromBytes).toList()));
        return out;
    }

    /**
     * The raw elements of operator list state {@code stateName} (a {@code byte[]} list, as the release's own state
     * and Flink's source and sink states are) of the operator with {@code uid}, by subtask.
     */
    public static Map<Integer, List<byte[]>> listState(Path savepointDir, String uid, String stateName)
            throws IOException {
        for (OperatorState op : load(savepointDir).getOperatorStates()) {
            if (!uid.equals(op.getOperatorUid().orElse(null))) {
                continue;
            }
            Map<Integer, List<byte[]>> out = new TreeMap<>();
            for (Map.Entry<Integer, OperatorSubtaskState> e : op.getSubtaskStates().entrySet()) {
                List<byte[]> elements = new ArrayList<>();
                for (OperatorStateHandle h : e.getValue().getManagedOperatorState()) {
                    elements.addAll(elements(h, stateName));
                }
                out.put(e.getKey(), elements);
            }
            return out;
        }
        throw new IllegalArgumentException("no operator with uid " + uid + " in " + savepointDir);
    }

    /** A readable summary of the whole savepoint. */
    public static String report(Path savepointDir, String inferenceUid) throws IOException {
        StringBuilder sb = new StringBuilder();
        CheckpointMetadata md = load(savepointDir);
        sb.append("checkpoint id ").append(md.getCheckpointId()).append(", ")
                .append(md.getOperatorStates().size()).append(" operators\n");
        for (OperatorInfo op : operators(savepointDir)) {
            sb.append(String.format("operator uid=%s name=%s id=%s parallelism=%d maxParallelism=%d%s%s%s%s%n",
                    op.uid(), op.name(), op.operatorId(), op.parallelism(), op.maxParallelism(),
                    op.keyedState() ? " KEYED-STATE" : "", op.rawState() ? " RAW-STATE" : "",
                    op.inFlightData() ? " IN-FLIGHT-DATA" : "",
                    op.coordinatorStateBytes() > 0 ? " coordinatorState=" + op.coordinatorStateBytes() + "B" : ""));
            op.managedOperatorState().forEach((subtask, states) -> states.forEach(s -> sb.append(String.format(
                    "  subtask %d: state '%s' %s, %d element(s), serializer snapshot %s%n", subtask, s.name(),
                    s.mode(), s.elements(), s.serializerSnapshot()))));
        }
        if (inferenceUid != null) {
            servingStates(savepointDir, inferenceUid).forEach((subtask, entries) -> entries.forEach(e ->
                    sb.append(String.format("ServingState of %s subtask %d: written by subtask %d, history %s, "
                            + "pending %s%n", inferenceUid, subtask, e.subtask(), e.history(), e.pending()))));
        }
        return sb.toString();
    }

    private static List<StateInfo> describe(OperatorStateHandle h) throws IOException {
        Map<String, TypeSerializerSnapshot<?>> snapshots = serializerSnapshots(h);
        List<StateInfo> out = new ArrayList<>();
        for (Map.Entry<String, OperatorStateHandle.StateMetaInfo> e : new TreeMap<>(
                h.getStateNameToPartitionOffsets()).entrySet()) {
            TypeSerializerSnapshot<?> snap = snapshots.get(e.getKey());
            out.add(new StateInfo(e.getKey(), e.getValue().getDistributionMode().name(),
                    e.getValue().getOffsets().length, snap == null ? "?" : snap.getClass().getName()));
        }
        return out;
    }

    private static Map<String, TypeSerializerSnapshot<?>> serializerSnapshots(OperatorStateHandle h)
            throws IOException {
        try (FSDataInputStream in = h.openInputStream()) {
            OperatorBackendSerializationProxy proxy =
                    new OperatorBackendSerializationProxy(SavepointInspector.class.getClassLoader());
            proxy.read(new DataInputViewStreamWrapper(in));
            Map<String, TypeSerializerSnapshot<?>> out = new LinkedHashMap<>();
            for (StateMetaInfoSnapshot s : proxy.getOperatorStateMetaInfoSnapshots()) {
                out.put(s.getName(), s.getTypeSerializerSnapshot(
                        StateMetaInfoSnapshot.CommonSerializerKeys.VALUE_SERIALIZER));
            }
            for (StateMetaInfoSnapshot s : proxy.getBroadcastStateMetaInfoSnapshots()) {
                out.put(s.getName(), s.getTypeSerializerSnapshot(
                        StateMetaInfoSnapshot.CommonSerializerKeys.VALUE_SERIALIZER));
            }
            return out;
        }
    }

    /** The elements of list state {@code name} in one handle, as byte arrays (the release's state type). */
    @SuppressWarnings("unchecked")
    private static List<byte[]> elements(OperatorStateHandle h, String name) throws IOException {
        OperatorStateHandle.StateMetaInfo info = h.getStateNameToPartitionOffsets().get(name);
        if (info == null) {
            return List.of();
        }
        TypeSerializer<byte[]> serializer =
                (TypeSerializer<byte[]>) serializerSnapshots(h).get(name).restoreSerializer();
        List<byte[]> out = new ArrayList<>();
        try (FSDataInputStream in = h.openInputStream()) {
            for (long offset : info.getOffsets()) {
                in.seek(offset);
                out.add(serializer.deserialize(new DataInputViewStreamWrapper((InputStream) in)));
            }
        }
        return out;
    }
}
