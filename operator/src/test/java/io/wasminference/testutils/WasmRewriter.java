package io.wasminference.testutils;

import io.wasminference.abi.WasmBinary;

import java.nio.charset.StandardCharsets;

/** Produces variants of a module with different metadata (another version, say) for tests. */
public final class WasmRewriter {
    private WasmRewriter() {}

    /** {@code wasm} with its metadata section replaced by {@code metadataText}. */
    public static byte[] withMetadata(byte[] wasm, String metadataText) {
        return WasmBinary.withCustomSection(wasm, WasmBinary.METADATA_SECTION,
                metadataText.getBytes(StandardCharsets.UTF_8));
    }

    /** The metadata text of {@code wasm}. */
    public static String metadataText(byte[] wasm) {
        return new String(WasmBinary.parse(wasm).customSections().get(WasmBinary.METADATA_SECTION).get(0),
                StandardCharsets.UTF_8);
    }
}
