package io.wasminference.errors;

import org.apache.flink.annotation.PublicEvolving;

/**
 * Root of every error the runtime reports. Unchecked, like Flink's own runtime exceptions; {@link #kind()} says
 * which stage failed, and the message says what was wrong and what to do.
 */
@PublicEvolving
public class WasmInferenceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorKind kind;

    public WasmInferenceException(ErrorKind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public WasmInferenceException(ErrorKind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public ErrorKind kind() {
        return kind;
    }
}
