package io.wasminference.errors;

/** The input does not fit the model (dtype, shape, batch size), or the model returned status INVALID_INPUT for it. */
public class InvalidInputException extends WasmInferenceException {
    private static final long serialVersionUID = 1L;

    public InvalidInputException(String message) {
        super(ErrorKind.INVALID_INPUT, message);
    }

    public InvalidInputException(String message, Throwable cause) {
        super(ErrorKind.INVALID_INPUT, message, cause);
    }
}
