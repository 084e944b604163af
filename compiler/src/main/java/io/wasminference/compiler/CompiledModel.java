package io.wasminference.compiler;

import io.wasminference.abi.ModelMetadata;

/**
 * A compiled model: an ordinary ABI v1 module (validated), what it declares, and what the compiler did.
 *
 * @param wasm the module's bytes
 */
public record CompiledModel(byte[] wasm, ModelMetadata metadata, CompileReport report) {
    @Override
    public byte[] wasm() {
        return wasm.clone();
    }
}
