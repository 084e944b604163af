package io.wasminference.operator;

import io.wasminference.model.ModelVersion;
import io.wasminference.record.ModelCommand;

import java.util.List;

/**
 * One subtask's entry in the inference operator's checkpointed state: the versions it has served (the current one
 * last) and the control commands it had received but not yet applied. Written by {@link ServingStateSerializer};
 * entries of release 0.1 are read by {@link LegacyServingState}.
 *
 * <p>A new field goes here, into {@link ServingStateSerializer} (a new format version that still reads the old
 * ones) and into its round-trip test.
 *
 * @param subtask the subtask that wrote the entry
 * @param history served versions, oldest first; never empty; at most {@link #MAX_HISTORY}
 * @param pending commands received but not applied yet, in order; prepared again after a restore
 */
record ServingState(int subtask, List<ModelVersion> history, List<ModelCommand> pending) {
    /** Rollbacks go back at most this far; older versions are dropped from the state. */
    static final int MAX_HISTORY = 16;

    ServingState {
        if (history.isEmpty()) {
            throw new IllegalArgumentException("a serving state needs at least the current version");
        }
        history = List.copyOf(history.subList(Math.max(0, history.size() - MAX_HISTORY), history.size()));
        pending = List.copyOf(pending);
    }

    ServingState(int subtask, List<ModelVersion> history) {
        this(subtask, history, List.of());
    }

    ModelVersion current() {
        return history.get(history.size() - 1);
    }
}
