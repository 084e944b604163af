package io.wasminference.abi;

import org.apache.flink.annotation.Internal;

/** Status codes {@code wi_run} returns (docs/abi.md §5). */
@Internal
public enum Status {
    OK(0),
    INVALID_BATCH(1),
    INVALID_INPUT(2),
    INTERNAL_ERROR(3);

    private final int code;

    Status(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The status with this code, or {@code null} when the code is not defined by ABI v1. */
    public static Status of(int code) {
        for (Status s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return null;
    }
}
