package io.wasminference.testutils;

import io.wasminference.abi.WasmBinary;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Produces variants of a module with different metadata (another version, say) for tests. */
public final class WasmRewriter {
    private WasmRewriter() {}

    /** {@code wasm} with its metadata section replaced by {@code metadataText}. */
    public static byte[] withMetadata(byte[] wasm, String metadataText) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(wasm, 0, 8);
        int pos = 8;
        while (pos < wasm.length) {
            int start = pos;
            int id = wasm[pos++] & 0xFF;
            long[] size = leb(wasm, pos);
            pos = (int) size[1];
            int end = pos + (int) size[0];
            boolean metadata = false;
            if (id == 0) {
                long[] nameLen = leb(wasm, pos);
                String name = new String(wasm, (int) nameLen[1], (int) nameLen[0], StandardCharsets.UTF_8);
                metadata = name.equals(WasmBinary.METADATA_SECTION);
            }
            if (!metadata) {
                out.write(wasm, start, end - start);
            }
            pos = end;
        }
        byte[] name = WasmBinary.METADATA_SECTION.getBytes(StandardCharsets.UTF_8);
        byte[] text = metadataText.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        writeLeb(payload, name.length);
        payload.writeBytes(name);
        payload.writeBytes(text);
        out.write(0);
        writeLeb(out, payload.size());
        out.writeBytes(payload.toByteArray());
        return out.toByteArray();
    }

    /** The metadata text of {@code wasm}. */
    public static String metadataText(byte[] wasm) {
        return new String(WasmBinary.parse(wasm).customSections().get(WasmBinary.METADATA_SECTION).get(0),
                StandardCharsets.UTF_8);
    }

    private static long[] leb(byte[] b, int pos) {
        long result = 0;
        int shift = 0;
        while (true) {
            int x = b[pos++] & 0xFF;
            result |= (long) (x & 0x7F) << shift;
            if ((x & 0x80) == 0) {
                return new long[] {result, pos};
            }
            shift += 7;
        }
    }

    private static void writeLeb(ByteArrayOutputStream out, int value) {
        do {
            int b = value & 0x7F;
            value >>>= 7;
            out.write(value != 0 ? b | 0x80 : b);
        } while (value != 0);
    }
}
