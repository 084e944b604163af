package io.wasminference.model;

import org.apache.flink.annotation.PublicEvolving;

import java.util.Optional;

/**
 * Turns a model file that is not WebAssembly (an ONNX file) into an ABI v1 module when {@link ModelRef} loads it,
 * so {@code model.onnx} works wherever a {@code .wasm} does. Implementations are found with
 * {@link java.util.ServiceLoader}; the ONNX compiler ({@code wasm-inference-compiler}) registers one.
 */
@PublicEvolving
public interface ModelCompiler {

    /** Short name of the source format, for messages ("ONNX"). */
    String format();

    /** Whether {@code bytes}, read from {@code location}, are in this compiler's format. */
    boolean accepts(String location, byte[] bytes);

    /**
     * Compiles the model.
     *
     * @param options the text of the optional sidecar file {@code location + ".compile"} (compile options in Java
     *     properties syntax), empty when there is none
     * @return the module's bytes
     * @throws io.wasminference.errors.ModelRefusedException when the model cannot be compiled
     */
    byte[] compile(String location, byte[] bytes, Optional<String> options);
}
