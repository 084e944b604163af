package io.wasminference.model;

import io.wasminference.record.ModelCommand;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One subtask's entry in the operator's checkpointed state: the versions it has served (the current one last) and
 * the control commands it had received but not yet applied. Versioned binary format; entries of format 1
 * ({@link ModelVersion#toBytes()}) and 2 (no pending commands) are read too.
 *
 * @param subtask the subtask that wrote the entry
 * @param history served versions, oldest first; never empty
 * @param pending commands received but not applied yet, in order; prepared again after a restore
 */
public record ServingState(int subtask, List<ModelVersion> history, List<ModelCommand> pending) {
    private static final int FORMAT = 3;
    /** Rollbacks go back at most this far; older versions are dropped from the state. */
    public static final int MAX_HISTORY = 16;
    /** Sanity bound on any count read back (far above what any release writes). */
    private static final int MAX_STATE_ENTRIES = 1 << 20;

    public ServingState {
        if (history.isEmpty()) {
            throw new IllegalArgumentException("a serving state needs at least the current version");
        }
        history = List.copyOf(history.subList(Math.max(0, history.size() - MAX_HISTORY), history.size()));
        pending = List.copyOf(pending);
    }

    public ServingState(int subtask, List<ModelVersion> history) {
        this(subtask, history, List.of());
    }

    public ModelVersion current() {
        return history.get(history.size() - 1);
    }

    public byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(FORMAT);
            out.writeInt(subtask);
            out.writeInt(history.size());
            for (ModelVersion v : history) {
                byte[] b = v.toBytes();
                out.writeInt(b.length);
                out.write(b);
            }
            out.writeInt(pending.size());
            for (ModelCommand c : pending) {
                out.writeByte(c.action().ordinal());
                out.writeUTF(c.name());
                out.writeUTF(c.version());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static ServingState fromBytes(byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            int format = in.readInt();
            if (format == 1) {
                return new ServingState(0, List.of(ModelVersion.fromBytes(data)));
            }
            if (format != 2 && format != FORMAT) {
                throw new IllegalStateException("checkpointed serving state has format " + format
                        + ", this wasm-inference reads formats 1 to " + FORMAT + "; restore with a matching release");
            }
            int subtask = in.readInt();
            int n = count(in.readInt(), "served versions");
            List<ModelVersion> history = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                byte[] b = new byte[in.readInt()];
                in.readFully(b);
                history.add(ModelVersion.fromBytes(b));
            }
            List<ModelCommand> pending = new ArrayList<>();
            if (format >= 3) {
                int p = count(in.readInt(), "pending commands");
                for (int i = 0; i < p; i++) {
                    pending.add(new ModelCommand(ModelCommand.Action.values()[in.readByte()], in.readUTF(),
                            in.readUTF()));
                }
            }
            return new ServingState(subtask, history, pending);
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt checkpointed serving state", e);
        }
    }

    /** A count read from state, refused before anything is allocated for it when it cannot be right. */
    private static int count(int n, String what) {
        if (n < 0 || n > MAX_STATE_ENTRIES) {
            throw new IllegalStateException("corrupt checkpointed serving state: " + n + " " + what);
        }
        return n;
    }
}
