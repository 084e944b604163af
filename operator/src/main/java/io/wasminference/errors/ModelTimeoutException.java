package io.wasminference.errors;

import org.apache.flink.annotation.PublicEvolving;

/** A call (or the module's start-up) ran past its deadline and was interrupted by the epoch ticker. */
@PublicEvolving
public class ModelTimeoutException extends WasmInferenceException {
    private static final long serialVersionUID = 1L;

    public ModelTimeoutException(String message) {
        super(ErrorKind.TIMEOUT, message);
    }

    public ModelTimeoutException(String message, Throwable cause) {
        super(ErrorKind.TIMEOUT, message, cause);
    }
}
