package io.wasminference.model;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Objects;

/**
 * Exactly which model a subtask serves: name and version from the metadata, the sha256 of the bytes, and where
 * they were loaded from. This is what the operator checkpoints, so a restored job serves the same bytes.
 *
 * @param name model name
 * @param version model version
 * @param sha256 hex sha256 of the .wasm
 * @param location the {@link ModelRef} location it was loaded from
 */
public record ModelVersion(String name, String version, String sha256, String location) implements Serializable {
    private static final int FORMAT = 1;

    public ModelVersion {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(location, "location");
    }

    /** The reference that loads exactly these bytes. */
    public ModelRef ref() {
        return new ModelRef(location, sha256);
    }

    /** {@code name:version}. */
    public String id() {
        return name + ":" + version;
    }

    /** Versioned binary form used in operator state. */
    public byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(FORMAT);
            out.writeUTF(name);
            out.writeUTF(version);
            out.writeUTF(sha256);
            out.writeUTF(location);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Reads {@link #toBytes()}; fails clearly on a format this code does not know. */
    public static ModelVersion fromBytes(byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            int format = in.readInt();
            if (format != FORMAT) {
                throw new IllegalStateException("checkpointed model version has format " + format
                        + ", this wasm-inference reads format " + FORMAT + "; restore with a matching release");
            }
            return new ModelVersion(in.readUTF(), in.readUTF(), in.readUTF(), in.readUTF());
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt checkpointed model version", e);
        }
    }

    @Override
    public String toString() {
        return id() + " (sha256 " + sha256.substring(0, Math.min(12, sha256.length())) + ", from " + location + ")";
    }
}
