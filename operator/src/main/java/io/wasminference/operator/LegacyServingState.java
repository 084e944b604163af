package io.wasminference.operator;

import io.wasminference.model.ModelVersion;
import io.wasminference.record.ModelCommand;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the operator state of release 0.1: union list state {@value #STATE_NAME} of {@code byte[]} elements, each
 * a hand-versioned {@link ServingState} blob. {@link ServingStateStore} reads it once on restore and clears it; only
 * {@link ServingStateSerializer} writes state now.
 *
 * <p>Formats: 1 is a bare {@link ModelVersion} (int 1, then name, version, sha256, location as
 * {@code writeUTF}); 2 is int 2, int subtask, int n, n × (int length, a format-1 version); 3 is format 2 followed
 * by int p, p × (byte {@code ModelCommand.Action} ordinal, name, version). Those ordinals are persisted here:
 * DEPLOY = 0, ROLLBACK = 1.
 */
final class LegacyServingState {
    /** The state's name in release 0.1. */
    static final String STATE_NAME = "wasm-inference-model-version";
    private static final int MODEL_VERSION_FORMAT = 1;
    private static final ModelCommand.Action[] ACTIONS = {ModelCommand.Action.DEPLOY, ModelCommand.Action.ROLLBACK};
    /** Sanity bound on any count read back (far above what any release writes). */
    private static final int MAX_STATE_ENTRIES = 1 << 20;

    private LegacyServingState() {}

    static ServingState read(byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            int format = in.readInt();
            if (format == 1) {
                return new ServingState(0, List.of(modelVersion(data)));
            }
            if (format != 2 && format != 3) {
                throw new IllegalStateException("checkpointed serving state has format " + format
                        + ", this wasm-inference reads formats 1 to 3 of this state; restore with a matching release");
            }
            int subtask = in.readInt();
            int n = count(in.readInt(), "served versions");
            List<ModelVersion> history = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                byte[] b = new byte[in.readInt()];
                in.readFully(b);
                history.add(modelVersion(b));
            }
            List<ModelCommand> pending = new ArrayList<>();
            if (format == 3) {
                int p = count(in.readInt(), "pending commands");
                for (int i = 0; i < p; i++) {
                    int action = in.readByte();
                    if (action < 0 || action >= ACTIONS.length) {
                        throw new IllegalStateException("corrupt checkpointed serving state: command action " + action);
                    }
                    pending.add(new ModelCommand(ACTIONS[action], in.readUTF(), in.readUTF()));
                }
            }
            return new ServingState(subtask, history, pending);
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt checkpointed serving state", e);
        }
    }

    private static ModelVersion modelVersion(byte[] data) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
        int format = in.readInt();
        if (format != MODEL_VERSION_FORMAT) {
            throw new IllegalStateException("checkpointed model version has format " + format
                    + ", this wasm-inference reads format " + MODEL_VERSION_FORMAT + "; restore with a matching release");
        }
        return new ModelVersion(in.readUTF(), in.readUTF(), in.readUTF(), in.readUTF());
    }

    /** A count read from state, refused before anything is allocated for it when it cannot be right. */
    private static int count(int n, String what) {
        if (n < 0 || n > MAX_STATE_ENTRIES) {
            throw new IllegalStateException("corrupt checkpointed serving state: " + n + " " + what);
        }
        return n;
    }
}
