package io.wasminference.compiler;

import org.apache.flink.annotation.PublicEvolving;
import io.wasminference.abi.ModelMetadata;

/**
 * A compiled model: an ordinary ABI v1 module (validated), what it declares, and what the compiler did.
 *
 * @param wasm the module's bytes
 */
@PublicEvolving
public record CompiledModel(byte[] wasm, ModelMetadata metadata, CompileReport report) {
    @Override
    public byte[] wasm() {
        return wasm.clone();
    }
}
