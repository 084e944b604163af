package io.wasminference.errors;

import org.apache.flink.annotation.PublicEvolving;

/** The module trapped while its linear memory was at the sandbox's cap. */
@PublicEvolving
public class ModelOutOfMemoryException extends WasmInferenceException {
    private static final long serialVersionUID = 1L;

    public ModelOutOfMemoryException(String message) {
        super(ErrorKind.OUT_OF_MEMORY, message);
    }

    public ModelOutOfMemoryException(String message, Throwable cause) {
        super(ErrorKind.OUT_OF_MEMORY, message, cause);
    }
}
