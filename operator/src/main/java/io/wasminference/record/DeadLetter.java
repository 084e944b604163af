package io.wasminference.record;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.typeinfo.TypeInfo;

import java.util.List;
import java.util.Objects;

/**
 * A record that produced no prediction, with why. Nothing is dropped silently: every input ends as exactly one
 * prediction or one dead letter.
 *
 * @param id the record's id (may be empty when the record could not even be decoded)
 * @param key the record's key, or null
 * @param headers the record's headers
 * @param errorKind what failed, an {@link io.wasminference.errors.ErrorKind} name, {@code DECODE} or
 *     {@link #OUTPUT_TOO_LARGE}
 * @param reason the error message: what was wrong and what to do
 * @param modelName model that was serving, or empty when the record never reached it
 * @param modelVersion its version, or empty
 * @param origin where the record came from (e.g. {@code topic/partition/offset}), or null
 * @param payload the original encoded record, or null
 */
@PublicEvolving
@TypeInfo(RecordTypeInfos.DeadLetterFactory.class)
public record DeadLetter(String id, byte[] key, List<Header> headers, String errorKind, String reason,
        String modelName, String modelVersion, String origin, byte[] payload) {

    /** Error kind of a record whose prediction would carry more output bytes than the operator allows. */
    public static final String OUTPUT_TOO_LARGE = "OUTPUT_TOO_LARGE";

    public DeadLetter {
        Objects.requireNonNull(id, "id");
        headers = List.copyOf(headers);
        Objects.requireNonNull(errorKind, "errorKind");
        Objects.requireNonNull(reason, "reason");
        modelName = modelName == null ? "" : modelName;
        modelVersion = modelVersion == null ? "" : modelVersion;
    }

    /** A dead letter for a request that reached the model. */
    public static DeadLetter of(InferenceRequest r, String errorKind, String reason, String modelName,
            String modelVersion) {
        return new DeadLetter(r.id(), r.key(), r.headers(), errorKind, reason, modelName, modelVersion, r.origin(),
                r.payload());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeadLetter d && id.equals(d.id) && java.util.Arrays.equals(key, d.key)
                && headers.equals(d.headers) && errorKind.equals(d.errorKind) && reason.equals(d.reason)
                && modelName.equals(d.modelName) && modelVersion.equals(d.modelVersion)
                && Objects.equals(origin, d.origin) && java.util.Arrays.equals(payload, d.payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, errorKind, reason, origin);
    }

    @Override
    public String toString() {
        return "DeadLetter(" + id + ", " + errorKind + ": " + reason + ")";
    }
}
