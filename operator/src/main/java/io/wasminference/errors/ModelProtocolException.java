package io.wasminference.errors;

import org.apache.flink.annotation.PublicEvolving;

/** The module returned but broke ABI v1: an unknown status, an output it did not write, a buffer outside its memory. */
@PublicEvolving
public class ModelProtocolException extends WasmInferenceException {
    private static final long serialVersionUID = 1L;

    public ModelProtocolException(String message) {
        super(ErrorKind.PROTOCOL, message);
    }

    public ModelProtocolException(String message, Throwable cause) {
        super(ErrorKind.PROTOCOL, message, cause);
    }
}
