package io.wasminference.errors;

import org.apache.flink.annotation.PublicEvolving;

/** The module trapped; {@link #trapCode()} names the wasm trap (e.g. {@code MEMORY_OUT_OF_BOUNDS}). */
@PublicEvolving
public class ModelTrapException extends WasmInferenceException {
    private static final long serialVersionUID = 1L;

    private final String trapCode;

    public ModelTrapException(String trapCode, String message, Throwable cause) {
        this(ErrorKind.TRAP, trapCode, message, cause);
    }

    protected ModelTrapException(ErrorKind kind, String trapCode, String message, Throwable cause) {
        super(kind, message, cause);
        this.trapCode = trapCode;
    }

    /** Wasmtime's trap code, e.g. {@code UNREACHABLE_CODE_REACHED}, {@code STACK_OVERFLOW}. */
    public String trapCode() {
        return trapCode;
    }
}
