package io.wasminference.errors;

/** The module trapped on the wasm stack limit ({@link ErrorKind#STACK_OVERFLOW}, trap code {@code STACK_OVERFLOW}). */
public class ModelStackOverflowException extends ModelTrapException {
    private static final long serialVersionUID = 1L;

    public ModelStackOverflowException(String message, Throwable cause) {
        super(ErrorKind.STACK_OVERFLOW, "STACK_OVERFLOW", message, cause);
    }
}
