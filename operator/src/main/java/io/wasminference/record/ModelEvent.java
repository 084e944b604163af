package io.wasminference.record;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.typeinfo.TypeInfo;

import java.util.Objects;

/**
 * What a subtask did with a control command; the Kafka job writes these to its status topic.
 *
 * @param timestampMillis when it happened
 * @param subtask the subtask index
 * @param command the command, e.g. {@code deploy fashion-lenet5:1.1.0}
 * @param status {@code SERVING} (switched), {@code REFUSED} (validation failed, the old version keeps serving) or
 *     {@code IGNORED} (nothing to do)
 * @param modelName the model
 * @param servingVersion the version served after the command
 * @param previousVersion the version served before it
 * @param reason why, for REFUSED and IGNORED; empty otherwise
 */
@PublicEvolving
@TypeInfo(RecordTypeInfos.EventFactory.class)
public record ModelEvent(long timestampMillis, int subtask, String command, String status, String modelName,
        String servingVersion, String previousVersion, String reason) implements java.io.Serializable {

    public static final String SERVING = "SERVING";
    public static final String REFUSED = "REFUSED";
    public static final String IGNORED = "IGNORED";

    public ModelEvent {
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(status, "status");
        modelName = modelName == null ? "" : modelName;
        servingVersion = servingVersion == null ? "" : servingVersion;
        previousVersion = previousVersion == null ? "" : previousVersion;
        reason = reason == null ? "" : reason;
    }
}
