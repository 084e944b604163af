package io.wasminference.errors;

import org.apache.flink.annotation.PublicEvolving;

/** The input does not fit the model (dtype, shape, batch size), or the model returned status INVALID_INPUT for it. */
@PublicEvolving
public class InvalidInputException extends WasmInferenceException {
    private static final long serialVersionUID = 1L;

    public InvalidInputException(String message) {
        super(ErrorKind.INVALID_INPUT, message);
    }

    public InvalidInputException(String message, Throwable cause) {
        super(ErrorKind.INVALID_INPUT, message, cause);
    }
}
