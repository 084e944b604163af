package io.wasminference.errors;

import org.apache.flink.annotation.PublicEvolving;

/** The module was refused before any of its code ran: it is malformed, its metadata is missing or invalid, it imports something the sandbox does not provide, or its control block contradicts its metadata. */
@PublicEvolving
public class ModelRefusedException extends WasmInferenceException {
    private static final long serialVersionUID = 1L;

    public ModelRefusedException(String message) {
        super(ErrorKind.REFUSED, message);
    }

    public ModelRefusedException(String message, Throwable cause) {
        super(ErrorKind.REFUSED, message, cause);
    }
}
