package io.wasminference.abi;

import io.wasminference.errors.ModelRefusedException;
import org.apache.flink.annotation.Internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The parts of a WebAssembly binary the host checks before compiling it: imports, exports with their function
 * signatures, memories, the start section and custom sections. This is a reader of the section structure, not a
 * validator: Wasmtime validates the code when it compiles the module.
 *
 * @param imports every import, in order
 * @param exports every export, in order
 * @param definedMemories memories the module defines itself (not imported)
 * @param definedTables tables the module defines itself (not imported)
 * @param hasStartFunction whether a start section is present
 * @param customSections payloads of custom sections by name (a name may occur several times)
 * @param footprint sizes and counts that decide what compiling and instantiating the module costs
 */
@Internal
public record WasmBinary(
        List<Import> imports,
        List<Export> exports,
        List<Limits> definedMemories,
        List<Table> definedTables,
        boolean hasStartFunction,
        Map<String, List<byte[]>> customSections,
        Footprint footprint) {

    /** Name of the custom section that carries ABI v1 metadata. */
    public static final String METADATA_SECTION = "wasm-inference.v1";

    private static final byte[] MAGIC = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};

    /** The four kinds of import and export. */
    public enum ExternKind {
        FUNC, TABLE, MEMORY, GLOBAL
    }

    /** Memory (or table) limits, in pages for a memory. */
    public record Limits(long min, OptionalLong max, boolean shared, boolean is64) {}

    /** A table: its element type by its wasm name ({@code funcref}, {@code externref}) and its limits in elements. */
    public record Table(String elementType, Limits limits) {}

    /**
     * What the module asks of the compiler and of every instance, beyond its memory and tables.
     *
     * @param moduleBytes size of the binary
     * @param definedFunctions functions the module defines (compiled one by one by Cranelift)
     * @param codeBytes size of the code section
     * @param largestFunctionBytes size of the largest function body (Cranelift's cost grows with it)
     * @param definedGlobals globals the module defines (kept in every instance, outside the memory cap)
     * @param dataSegments the data segments, in order
     */
    public record Footprint(long moduleBytes, int definedFunctions, long codeBytes, long largestFunctionBytes,
            int definedGlobals, List<DataSegment> dataSegments) {}

    /**
     * A data segment. An active one is copied into memory at instantiation, at {@code offset} (unsigned) when
     * that is an {@code i32.const}, else -1; a passive one (offset -1) is copied by {@code memory.init}.
     */
    public record DataSegment(int index, boolean active, long offset, long length) {}

    /** A function signature, value types by their wasm names ({@code i32}, {@code f64}, {@code v128}, ...). */
    public record FuncType(List<String> params, List<String> results) {
        @Override
        public String toString() {
            return "(" + String.join(", ", params) + ") -> (" + String.join(", ", results) + ")";
        }
    }

    /** An import; {@code memoryLimits} is set for memories, {@code funcType} for functions. */
    public record Import(String module, String name, ExternKind kind, Limits memoryLimits, FuncType funcType) {
        @Override
        public String toString() {
            return kind.name().toLowerCase() + " " + module + "." + name;
        }
    }

    /** An export; {@code funcType} is set for functions. */
    public record Export(String name, ExternKind kind, int index, FuncType funcType) {}

    /** The export with this name, if any. */
    public Optional<Export> export(String name) {
        return exports.stream().filter(e -> e.name().equals(name)).findFirst();
    }

    /**
     * Reads the section structure of {@code bytes}.
     *
     * @throws ModelRefusedException when the bytes are not a well-formed WebAssembly 1.0 binary
     */
    public static WasmBinary parse(byte[] bytes) {
        return new Reader(bytes).read();
    }

    /**
     * {@code wasm} with every custom section named {@code name} removed and one with {@code payload} appended
     * (custom sections may appear anywhere; the end is fine). Used to attach or change model metadata.
     */
    public static byte[] withCustomSection(byte[] wasm, String name, byte[] payload) {
        parse(wasm); // well-formed, or refused with a clear message
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(wasm.length + payload.length + 64);
        out.write(wasm, 0, 8);
        int pos = 8;
        while (pos < wasm.length) {
            int start = pos;
            int id = wasm[pos++] & 0xFF;
            long size = 0;
            int shift = 0;
            int b;
            do {
                b = wasm[pos++] & 0xFF;
                size |= (long) (b & 0x7F) << shift;
                shift += 7;
            } while ((b & 0x80) != 0);
            int end = pos + (int) size;
            boolean drop = false;
            if (id == 0) {
                Reader r = new Reader(wasm);
                r.pos = pos;
                r.limit = end;
                drop = r.name().equals(name);
            }
            if (!drop) {
                out.write(wasm, start, end - start);
            }
            pos = end;
        }
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        writeLeb(body, nameBytes.length);
        body.writeBytes(nameBytes);
        body.writeBytes(payload);
        out.write(0);
        writeLeb(out, body.size());
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    private static void writeLeb(java.io.ByteArrayOutputStream out, int value) {
        do {
            int b = value & 0x7F;
            value >>>= 7;
            out.write(value != 0 ? b | 0x80 : b);
        } while (value != 0);
    }

    private static final class Reader {
        private final byte[] b;
        private int pos;
        // End of the section being read (the file's end between sections): no read may pass it.
        private int limit;

        Reader(byte[] bytes) {
            this.b = bytes;
        }

        WasmBinary read() {
            if (b.length < 8) {
                throw malformed("it is " + b.length + " bytes long, shorter than the 8-byte header");
            }
            for (int i = 0; i < MAGIC.length; i++) {
                if (b[i] != MAGIC[i]) {
                    throw malformed(i < 4
                            ? "it does not start with the WebAssembly magic bytes \\0asm"
                            : "it is not WebAssembly binary version 1");
                }
            }
            pos = 8;
            limit = b.length;
            List<FuncType> types = new ArrayList<>();
            List<Import> imports = new ArrayList<>();
            List<Integer> functionTypeIndexes = new ArrayList<>();
            List<Limits> memories = new ArrayList<>();
            List<Table> tables = new ArrayList<>();
            List<int[]> rawExports = new ArrayList<>();
            List<String> exportNames = new ArrayList<>();
            Map<String, List<byte[]>> custom = new HashMap<>();
            List<DataSegment> data = new ArrayList<>();
            boolean start = false;
            int globals = 0;
            int bodies = 0;
            long codeBytes = 0;
            long largestBody = 0;
            while (pos < b.length) {
                int id = u8();
                int size = u32();
                int end = pos + size;
                if (size < 0 || end > b.length || end < pos) {
                    throw malformed("section " + id + " at offset " + pos + " claims " + size
                            + " bytes but the file ends at " + b.length + " (truncated?)");
                }
                limit = end;
                switch (id) {
                    case 0 -> {
                        String name = name();
                        byte[] payload = java.util.Arrays.copyOfRange(b, pos, end);
                        custom.computeIfAbsent(name, k -> new ArrayList<>()).add(payload);
                    }
                    case 1 -> {
                        int n = count("types");
                        for (int i = 0; i < n; i++) {
                            types.add(funcType());
                        }
                    }
                    case 2 -> {
                        int n = count("imports");
                        for (int i = 0; i < n; i++) {
                            imports.add(importEntry(types));
                        }
                    }
                    case 3 -> {
                        int n = count("functions");
                        for (int i = 0; i < n; i++) {
                            functionTypeIndexes.add(u32());
                        }
                    }
                    case 4 -> {
                        int n = count("tables");
                        for (int i = 0; i < n; i++) {
                            tables.add(new Table(refType(), limits()));
                        }
                    }
                    case 5 -> {
                        int n = count("memories");
                        for (int i = 0; i < n; i++) {
                            memories.add(limits());
                        }
                    }
                    case 7 -> {
                        int n = count("exports");
                        for (int i = 0; i < n; i++) {
                            exportNames.add(name());
                            int kind = u8();
                            int index = u32();
                            rawExports.add(new int[] {kind, index});
                        }
                    }
                    case 8 -> start = true;
                    case 6 -> globals = count("globals"); // each then validated by Wasmtime
                    case 10 -> {
                        codeBytes = size;
                        bodies = count("function bodies");
                        for (int i = 0; i < bodies; i++) {
                            int bodySize = u32();
                            if (Integer.toUnsignedLong(bodySize) > end - pos) {
                                throw malformed("function body " + i + " claims " + Integer.toUnsignedString(bodySize)
                                        + " bytes, past the end of the code section");
                            }
                            largestBody = Math.max(largestBody, bodySize);
                            pos += bodySize;
                        }
                    }
                    case 11 -> {
                        int n = count("data segments");
                        for (int i = 0; i < n; i++) {
                            data.add(dataSegment(i, end));
                        }
                    }
                    case 9, 12 -> {
                        // elements, data count: validated by Wasmtime; element segments are bounded by the table
                    }
                    default -> throw malformed("unknown section id " + id + " at offset " + (pos - 1));
                }
                pos = end;
                limit = b.length;
            }
            List<FuncType> importedFuncTypes = imports.stream()
                    .filter(i -> i.kind() == ExternKind.FUNC)
                    .map(Import::funcType)
                    .toList();
            List<Export> exports = new ArrayList<>();
            for (int i = 0; i < rawExports.size(); i++) {
                int kindByte = rawExports.get(i)[0];
                int index = rawExports.get(i)[1];
                if (kindByte > 3) {
                    throw malformed("export '" + exportNames.get(i) + "' has unknown kind " + kindByte);
                }
                ExternKind kind = ExternKind.values()[kindByte];
                FuncType type = null;
                if (kind == ExternKind.FUNC) {
                    if (index < importedFuncTypes.size()) {
                        type = importedFuncTypes.get(index);
                    } else if (index - importedFuncTypes.size() < functionTypeIndexes.size()) {
                        int typeIndex = functionTypeIndexes.get(index - importedFuncTypes.size());
                        type = typeIndex < types.size() ? types.get(typeIndex) : null;
                    }
                    if (type == null) {
                        throw malformed("export '" + exportNames.get(i) + "' refers to function " + index
                                + " which does not exist");
                    }
                }
                exports.add(new Export(exportNames.get(i), kind, index, type));
            }
            custom.replaceAll((k, v) -> List.copyOf(v));
            if (bodies != functionTypeIndexes.size()) {
                throw malformed("the module declares " + functionTypeIndexes.size() + " functions but has "
                        + bodies + " function bodies");
            }
            Footprint footprint = new Footprint(b.length, functionTypeIndexes.size(), codeBytes, largestBody,
                    globals, List.copyOf(data));
            return new WasmBinary(List.copyOf(imports), List.copyOf(exports), List.copyOf(memories),
                    List.copyOf(tables), start, Map.copyOf(custom), footprint);
        }

        private Import importEntry(List<FuncType> types) {
            String module = name();
            String field = name();
            int kind = u8();
            return switch (kind) {
                case 0x00 -> {
                    int typeIndex = u32();
                    if (typeIndex >= types.size()) {
                        throw malformed("import " + module + "." + field + " uses undefined type " + typeIndex);
                    }
                    yield new Import(module, field, ExternKind.FUNC, null, types.get(typeIndex));
                }
                case 0x01 -> {
                    refType();
                    limits();
                    yield new Import(module, field, ExternKind.TABLE, null, null);
                }
                case 0x02 -> new Import(module, field, ExternKind.MEMORY, limits(), null);
                case 0x03 -> {
                    u8(); // value type
                    u8(); // mutability
                    yield new Import(module, field, ExternKind.GLOBAL, null, null);
                }
                default -> throw malformed("import " + module + "." + field + " has unknown kind " + kind);
            };
        }

        private FuncType funcType() {
            int form = u8();
            if (form != 0x60) {
                throw malformed("type entry at offset " + (pos - 1) + " is not a function type");
            }
            List<String> params = valTypes();
            List<String> results = valTypes();
            return new FuncType(params, results);
        }

        private List<String> valTypes() {
            int n = count("value types");
            List<String> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int t = u8();
                out.add(switch (t) {
                    case 0x7F -> "i32";
                    case 0x7E -> "i64";
                    case 0x7D -> "f32";
                    case 0x7C -> "f64";
                    case 0x7B -> "v128";
                    case 0x70 -> "funcref";
                    case 0x6F -> "externref";
                    default -> throw malformed("unknown value type 0x" + Integer.toHexString(t));
                });
            }
            return out;
        }

        /** A data segment (flags 0: active in memory 0; 1: passive; 2: active with a memory index). */
        private DataSegment dataSegment(int index, int sectionEnd) {
            int flags = u32();
            long offset = switch (flags) {
                case 0 -> constOffset(index);
                case 1 -> -1;
                case 2 -> {
                    u32(); // memory index: the validator allows one memory, Wasmtime checks the index
                    yield constOffset(index);
                }
                default -> throw malformed("data segment " + index + " has unknown flags " + flags);
            };
            long length = Integer.toUnsignedLong(u32());
            if (length > sectionEnd - pos) {
                throw malformed("data segment " + index + " claims " + length
                        + " bytes, past the end of the data section");
            }
            pos += (int) length;
            return new DataSegment(index, flags != 1, offset, length);
        }

        /**
         * The offset expression of an active data segment: {@code i32.const N} (what an ABI v1 module can use: it
         * imports no globals and the engine has no extended constant expressions), else -1 after skipping an
         * {@code i64.const} or {@code global.get}, which the validator or Wasmtime then refuses.
         */
        private long constOffset(int index) {
            int op = u8();
            long offset = switch (op) {
                case 0x41 -> Integer.toUnsignedLong(s32());
                case 0x42, 0x23 -> {
                    u64(); // i64.const (memory64) or global.get: read past the immediate
                    yield -1;
                }
                default -> throw malformed("the offset of data segment " + index + " is not a constant (opcode 0x"
                        + Integer.toHexString(op) + ")");
            };
            if (u8() != 0x0B) {
                throw malformed("the offset of data segment " + index + " is not a single constant");
            }
            return offset;
        }

        private String refType() {
            int t = u8();
            return switch (t) {
                case 0x70 -> "funcref";
                case 0x6F -> "externref";
                default -> throw malformed("unknown table element type 0x" + Integer.toHexString(t)
                        + " at offset " + (pos - 1));
            };
        }

        private Limits limits() {
            int flags = u8();
            if (flags > 7) {
                throw malformed("unknown limits flags 0x" + Integer.toHexString(flags));
            }
            boolean hasMax = (flags & 1) != 0;
            boolean shared = (flags & 2) != 0;
            boolean is64 = (flags & 4) != 0;
            long min = is64 ? u64() : Integer.toUnsignedLong(u32());
            OptionalLong max = hasMax ? OptionalLong.of(is64 ? u64() : Integer.toUnsignedLong(u32()))
                    : OptionalLong.empty();
            return new Limits(min, max, shared, is64);
        }

        private String name() {
            int len = u32();
            if (len < 0 || len > limit - pos) {
                throw malformed("a name of " + Integer.toUnsignedString(len) + " bytes at offset " + pos
                        + " runs past the end of its " + (limit == b.length ? "file (truncated?)" : "section"));
            }
            String s = new String(b, pos, len, StandardCharsets.UTF_8);
            pos += len;
            return s;
        }

        /** A vector length: every element takes at least one byte, so it cannot exceed what is left. */
        private int count(String what) {
            int n = u32();
            if (n < 0 || n > limit - pos) {
                throw malformed("a vector of " + Integer.toUnsignedString(n) + " " + what + " at offset " + pos
                        + " cannot fit in the " + (limit - pos) + " bytes left in its section");
            }
            return n;
        }

        private int u8() {
            if (pos >= limit) {
                throw malformed(limit == b.length ? "unexpected end of file at offset " + pos + " (truncated?)"
                        : "a section's content runs past its end at offset " + pos);
            }
            return b[pos++] & 0xFF;
        }

        private int u32() {
            long v = u64();
            if (v > 0xFFFFFFFFL) {
                throw malformed("integer " + v + " does not fit u32 at offset " + pos);
            }
            return (int) v;
        }

        private int s32() {
            long result = 0;
            int shift = 0;
            int x;
            do {
                x = u8();
                result |= (long) (x & 0x7F) << shift;
                shift += 7;
                if (shift > 35) {
                    throw malformed("signed LEB128 integer too long at offset " + pos);
                }
            } while ((x & 0x80) != 0);
            if (shift < 64 && (x & 0x40) != 0) {
                result |= -1L << shift;
            }
            return (int) result;
        }

        private long u64() {
            long result = 0;
            int shift = 0;
            while (true) {
                int x = u8();
                result |= (long) (x & 0x7F) << shift;
                if ((x & 0x80) == 0) {
                    return result;
                }
                shift += 7;
                if (shift > 63) {
                    throw malformed("LEB128 integer too long at offset " + pos);
                }
            }
        }

        private static ModelRefusedException malformed(String detail) {
            return new ModelRefusedException("not a valid WebAssembly module: " + detail
                    + ". Check that the file is a complete .wasm built for wasm32.");
        }
    }
}
