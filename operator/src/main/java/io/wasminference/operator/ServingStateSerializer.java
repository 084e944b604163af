package io.wasminference.operator;

import io.wasminference.model.ModelVersion;
import io.wasminference.record.ModelCommand;
import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The Flink serializer of the operator's checkpointed {@link ServingState}.
 *
 * <p>Format 1: int subtask; int n, n × version (name, version, sha256, location); int p, p × command (action name,
 * model name, version); strings as {@link StringValue}. Actions are stored by name, so reordering
 * {@link ModelCommand.Action} is safe.
 *
 * <p>Evolving it: write the new layout under {@code FORMAT + 1}, keep reading every older one in
 * {@link #deserialize(DataInputView)} by {@link #readFormat}. The {@link Snapshot} records the format a checkpoint
 * was written in; restored, Flink reads the state with a serializer of that format and writes it in the new one
 * ({@link TypeSerializerSchemaCompatibility#compatibleAfterMigration()}).
 */
@Internal
public final class ServingStateSerializer extends TypeSerializer<ServingState> {
    private static final long serialVersionUID = 1L;
    /** The format this code writes. */
    static final int FORMAT = 1;
    /** Sanity bound on any count read back (far above what is ever written). */
    private static final int MAX_ENTRIES = 1 << 20;

    static final ServingStateSerializer INSTANCE = new ServingStateSerializer(FORMAT);

    /** The format {@link #deserialize} reads: {@link #FORMAT}, or an older one when restoring older state. */
    private final int readFormat;

    private ServingStateSerializer(int readFormat) {
        this.readFormat = readFormat;
    }

    @Override
    public void serialize(ServingState s, DataOutputView out) throws IOException {
        out.writeInt(s.subtask());
        out.writeInt(s.history().size());
        for (ModelVersion v : s.history()) {
            StringValue.writeString(v.name(), out);
            StringValue.writeString(v.version(), out);
            StringValue.writeString(v.sha256(), out);
            StringValue.writeString(v.location(), out);
        }
        out.writeInt(s.pending().size());
        for (ModelCommand c : s.pending()) {
            StringValue.writeString(c.action().name(), out);
            StringValue.writeString(c.name(), out);
            StringValue.writeString(c.version(), out);
        }
    }

    @Override
    public ServingState deserialize(DataInputView in) throws IOException {
        if (readFormat != FORMAT) {
            throw new IllegalStateException("checkpointed serving state has format " + readFormat
                    + ", this wasm-inference reads format " + FORMAT + "; restore with a matching release");
        }
        int subtask = in.readInt();
        int n = count(in.readInt(), "served versions");
        List<ModelVersion> history = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            history.add(new ModelVersion(StringValue.readString(in), StringValue.readString(in),
                    StringValue.readString(in), StringValue.readString(in)));
        }
        int p = count(in.readInt(), "pending commands");
        List<ModelCommand> pending = new ArrayList<>(p);
        for (int i = 0; i < p; i++) {
            String action = StringValue.readString(in);
            ModelCommand.Action a;
            try {
                a = ModelCommand.Action.valueOf(action);
            } catch (IllegalArgumentException e) {
                throw new IOException("corrupt checkpointed serving state: unknown command action '" + action + "'");
            }
            pending.add(new ModelCommand(a, StringValue.readString(in), StringValue.readString(in)));
        }
        return new ServingState(subtask, history, pending);
    }

    private static int count(int n, String what) throws IOException {
        if (n < 0 || n > MAX_ENTRIES) {
            throw new IOException("corrupt checkpointed serving state: " + n + " " + what);
        }
        return n;
    }

    @Override
    public ServingState deserialize(ServingState reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        serialize(deserialize(in), out);
    }

    @Override
    public boolean isImmutableType() {
        return true;
    }

    @Override
    public TypeSerializer<ServingState> duplicate() {
        return this; // stateless
    }

    @Override
    public ServingState createInstance() {
        return null;
    }

    @Override
    public ServingState copy(ServingState from) {
        return from;
    }

    @Override
    public ServingState copy(ServingState from, ServingState reuse) {
        return from;
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ServingStateSerializer other && other.readFormat == readFormat;
    }

    @Override
    public int hashCode() {
        return ServingStateSerializer.class.hashCode() * 31 + readFormat;
    }

    @Override
    public TypeSerializerSnapshot<ServingState> snapshotConfiguration() {
        return new Snapshot(FORMAT);
    }

    /** Records the format a checkpoint's serving state was written in; nothing else is configurable. */
    @Internal
    public static final class Snapshot implements TypeSerializerSnapshot<ServingState> {
        private int format;

        /** For Flink, which reads it with {@link #readSnapshot}. */
        public Snapshot() {
            this(FORMAT);
        }

        Snapshot(int format) {
            this.format = format;
        }

        @Override
        public int getCurrentVersion() {
            return FORMAT;
        }

        @Override
        public void writeSnapshot(DataOutputView out) {
            // the format is the snapshot's version, which Flink writes
        }

        @Override
        public void readSnapshot(int readVersion, DataInputView in, ClassLoader classLoader) throws IOException {
            if (readVersion < 1 || readVersion > FORMAT) {
                throw new IOException("the checkpoint's serving state has format " + readVersion + ", this "
                        + "wasm-inference reads formats 1 to " + FORMAT + "; restore with a matching release");
            }
            format = readVersion;
        }

        @Override
        public TypeSerializer<ServingState> restoreSerializer() {
            return format == FORMAT ? INSTANCE : new ServingStateSerializer(format);
        }

        @Override
        public TypeSerializerSchemaCompatibility<ServingState> resolveSchemaCompatibility(
                TypeSerializerSnapshot<ServingState> oldSnapshot) {
            if (!(oldSnapshot instanceof Snapshot old)) {
                return TypeSerializerSchemaCompatibility.incompatible();
            }
            return old.format == FORMAT ? TypeSerializerSchemaCompatibility.compatibleAsIs()
                    : TypeSerializerSchemaCompatibility.compatibleAfterMigration();
        }
    }
}
