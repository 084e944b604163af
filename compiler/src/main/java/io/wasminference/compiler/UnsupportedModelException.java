package io.wasminference.compiler;

import io.wasminference.errors.ModelRefusedException;

/**
 * The ONNX model cannot be compiled: an operator, attribute or data type outside the supported set, a dynamic
 * dimension without a value, or a malformed file. The message names the node, the op and what to do; a model is
 * refused at compile time rather than compiled into something that could give a wrong answer.
 */
public class UnsupportedModelException extends ModelRefusedException {
    private static final long serialVersionUID = 1L;

    public UnsupportedModelException(String message) {
        super(message);
    }

    public UnsupportedModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
