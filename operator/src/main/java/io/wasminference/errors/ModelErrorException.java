package io.wasminference.errors;

import org.apache.flink.annotation.PublicEvolving;

/**
 * The module returned status {@code INTERNAL_ERROR}: it failed, and said so within the ABI
 * ({@link ErrorKind#MODEL_ERROR}; the instance is replaced).
 */
@PublicEvolving
public class ModelErrorException extends WasmInferenceException {
    private static final long serialVersionUID = 1L;

    public ModelErrorException(String message) {
        super(ErrorKind.MODEL_ERROR, message);
    }
}
