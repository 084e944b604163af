package io.wasminference.model;

import org.apache.flink.annotation.PublicEvolving;

import java.io.Serializable;
import java.util.Objects;

/**
 * Exactly which model a subtask serves: name and version from the metadata, the sha256 of the bytes, and where
 * they were loaded from. The operator checkpoints it, so a restored job serves the same bytes.
 *
 * @param name model name
 * @param version model version
 * @param sha256 hex sha256 of the .wasm
 * @param location the {@link ModelRef} location it was loaded from
 */
@PublicEvolving
public record ModelVersion(String name, String version, String sha256, String location) implements Serializable {
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

    @Override
    public String toString() {
        return id() + " (sha256 " + sha256.substring(0, Math.min(12, sha256.length())) + ", from " + location + ")";
    }
}
