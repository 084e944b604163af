package io.wasminference.errors;

import org.apache.flink.annotation.PublicEvolving;

/** The module trapped on the wasm stack limit ({@link ErrorKind#STACK_OVERFLOW}, trap code {@code STACK_OVERFLOW}). */
@PublicEvolving
public class ModelStackOverflowException extends ModelTrapException {
    private static final long serialVersionUID = 1L;

    public ModelStackOverflowException(String message, Throwable cause) {
        super(ErrorKind.STACK_OVERFLOW, "STACK_OVERFLOW", message, cause);
    }
}
