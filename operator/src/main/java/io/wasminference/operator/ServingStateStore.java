package io.wasminference.operator;

import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.OperatorStateStore;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The checkpointed {@link ServingState} of one subtask, in the operator state backend: what the inference operator
 * and {@link WasmInferenceFunction} restore and snapshot, under {@value #STATE_NAME} with
 * {@link ServingStateSerializer}.
 *
 * <p>Why union list state, and not broadcast state: each subtask writes its own entry, and the entries differ while
 * a swap is in flight (one subtask has switched, another not yet; each has its own pending commands). On restore
 * every subtask receives all entries and takes its own (by {@link ServingState#subtask()}); after rescaling, a new
 * subtask takes the lowest-numbered entry. Broadcast state would hand a subtask one copy made by some subtask, and
 * assumes all copies are equal. The entries are a few hundred bytes, so sending all of them to all subtasks costs
 * nothing.
 *
 * <p>Release 0.1 wrote {@code byte[]} entries under {@value LegacyServingState#STATE_NAME}. A restore from such a
 * checkpoint reads them ({@link LegacyServingState}) and clears that state: Flink keeps restored union state that is
 * not cleared, and it would double in every checkpoint.
 */
final class ServingStateStore {
    private static final Logger LOG = LoggerFactory.getLogger(ServingStateStore.class);
    /** The state's name since the typed state replaced release 0.1's. */
    static final String STATE_NAME = "wasm-inference-serving-state";

    private final ListState<ServingState> state;
    private final ServingState restored;

    private ServingStateStore(ListState<ServingState> state, ServingState restored) {
        this.state = state;
        this.restored = restored;
    }

    /** Registers the state and, when the job was restored, picks this subtask's entry. */
    static ServingStateStore initialize(OperatorStateStore store, boolean isRestored, int subtask) throws Exception {
        ListState<ServingState> state = store.getUnionListState(
                new ListStateDescriptor<>(STATE_NAME, ServingStateSerializer.INSTANCE));
        if (!isRestored) {
            return new ServingStateStore(state, null);
        }
        List<ServingState> entries = new ArrayList<>();
        state.get().forEach(entries::add);
        if (store.getRegisteredStateNames().contains(LegacyServingState.STATE_NAME)) {
            ListState<byte[]> legacy = store.getUnionListState(new ListStateDescriptor<>(
                    LegacyServingState.STATE_NAME, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
            if (entries.isEmpty()) {
                for (byte[] entry : legacy.get()) {
                    entries.add(LegacyServingState.read(entry));
                }
                if (!entries.isEmpty()) {
                    LOG.info("Subtask {}: read the serving state of release 0.1 ({} entries); it is written as {} "
                            + "from the next checkpoint on", subtask, entries.size(), STATE_NAME);
                }
            }
            legacy.clear();
        }
        ServingState own = entries.stream().filter(e -> e.subtask() == subtask).findFirst()
                .or(() -> entries.stream().min(Comparator.comparingInt(ServingState::subtask)))
                .orElse(null);
        return new ServingStateStore(state, own);
    }

    /** This subtask's restored entry, or null when the job started without state (or the state held none). */
    ServingState restored() {
        return restored;
    }

    void snapshot(ServingState current) throws Exception {
        state.update(List.of(current));
    }
}
