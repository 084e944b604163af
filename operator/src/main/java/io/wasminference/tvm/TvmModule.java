package io.wasminference.tvm;

import org.apache.flink.annotation.PublicEvolving;
import io.wasminference.abi.MemoryPlan;
import io.wasminference.abi.ModuleLimits;
import io.wasminference.abi.ModuleValidator;
import io.wasminference.abi.WasmBinary;
import io.wasminference.errors.ModelRefusedException;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A seed-style module (TVM {@code apps/wasm-standalone}, docs/tvm-standalone.md) checked before it is compiled,
 * with its memory capped in the binary: the seed's modules define their memory with no maximum, and wasmtime-java
 * 0.19.0 has no store limiter, so the sandbox writes the cap into the memory section itself and Wasmtime enforces
 * it as the module's own maximum ({@code memory.grow} returns -1 above it).
 *
 * @param binary the module as given (with its {@code wasm-inference.tvm-standalone} section)
 * @param capped the bytes to compile: the module with its memory's maximum set to {@code memory.maxPages()}
 * @param metadata the attached sidecar
 * @param memory the module's own memory, capped by the sandbox
 */
@PublicEvolving
public record TvmModule(WasmBinary binary, byte[] capped, TvmMetadata metadata, MemoryPlan memory) {

    /** The custom section that carries the sidecar text and marks a module as this kind. */
    public static final String SECTION = "wasm-inference.tvm-standalone";

    /** The seed's entry point: {@code run(wasm_addr: i32, in_size: i32) -> i32}. */
    public static final String EXPORT_RUN = "run";

    /** The only imports the sandbox provides to this kind, with their signatures (host stubs, see WasiStubs). */
    public static final Map<String, WasmBinary.FuncType> WASI_IMPORTS = Map.of(
            "fd_write", type(List.of("i32", "i32", "i32", "i32"), List.of("i32")),
            "random_get", type(List.of("i32", "i32"), List.of("i32")),
            "environ_get", type(List.of("i32", "i32"), List.of("i32")),
            "environ_sizes_get", type(List.of("i32", "i32"), List.of("i32")),
            "proc_exit", type(List.of("i32"), List.of()));

    /** Module name of the WASI imports. */
    public static final String WASI_MODULE = "wasi_snapshot_preview1";

    private static WasmBinary.FuncType type(List<String> params, List<String> results) {
        return new WasmBinary.FuncType(params, results);
    }

    /** Whether {@code wasm} carries the {@link #SECTION} (cheap: reads section headers only). */
    public static boolean isTvmStandalone(byte[] wasm) {
        try {
            return WasmBinary.parse(wasm).customSections().containsKey(SECTION);
        } catch (ModelRefusedException e) {
            return false; // malformed: the ABI v1 checks say so
        }
    }

    /**
     * {@code wasm} (a seed-style module) with {@code sidecarText} attached as {@link #SECTION}, after checking the
     * sidecar. Attaching again replaces the section.
     */
    public static byte[] attach(byte[] wasm, String sidecarText) {
        TvmMetadata.parse(sidecarText);
        WasmBinary binary = WasmBinary.parse(wasm);
        if (binary.customSections().containsKey(WasmBinary.METADATA_SECTION)) {
            throw new ModelRefusedException("the module carries ABI v1 metadata ('" + WasmBinary.METADATA_SECTION
                    + "'): it is an ABI v1 module, load it as such, not as " + TvmMetadata.ABI);
        }
        return WasmBinary.withCustomSection(wasm, SECTION, sidecarText.getBytes(StandardCharsets.UTF_8));
    }

    /** The attached sidecar text of a module that has one. */
    public static Optional<String> sidecarText(byte[] wasm) {
        List<byte[]> s = WasmBinary.parse(wasm).customSections().get(SECTION);
        return s == null || s.isEmpty() ? Optional.empty() : Optional.of(new String(s.get(0), StandardCharsets.UTF_8));
    }

    /**
     * Checks a module of this kind and caps its memory.
     *
     * @param wasm the module with its sidecar attached ({@link #attach})
     * @param capPages the sandbox's memory cap in pages
     * @throws ModelRefusedException naming what is wrong: a missing or bad sidecar, an import outside
     *     {@link #WASI_IMPORTS} (by name), a wrong signature, no exported memory or {@code run}, a memory whose
     *     minimum is above the cap, and what ABI v1 refuses too (code size, tables, data beyond memory)
     */
    public static TvmModule check(byte[] wasm, long capPages, ModuleLimits limits) {
        if (wasm.length > limits.maxModuleBytes()) {
            throw new ModelRefusedException("the module is " + wasm.length + " bytes, above the sandbox's limit of "
                    + limits.maxModuleBytes() + " bytes (ModuleLimits.maxModuleBytes)");
        }
        WasmBinary binary = WasmBinary.parse(wasm);
        List<byte[]> sections = binary.customSections().get(SECTION);
        if (sections == null || sections.isEmpty()) {
            throw new ModelRefusedException("the module has no '" + SECTION + "' section: attach its sidecar "
                    + "metadata first (docs/tvm-standalone.md)");
        }
        if (sections.size() > 1) {
            throw new ModelRefusedException("the module has " + sections.size() + " '" + SECTION
                    + "' sections; exactly one is allowed");
        }
        if (binary.customSections().containsKey(WasmBinary.METADATA_SECTION)) {
            throw new ModelRefusedException("the module carries both ABI v1 metadata and a '" + SECTION
                    + "' section: it is one kind or the other");
        }
        TvmMetadata metadata = TvmMetadata.parse(new String(sections.get(0), StandardCharsets.UTF_8));
        ModuleValidator.checkFootprint(binary.footprint(), limits);
        checkImports(binary);
        MemoryPlan memory = memoryPlan(binary, capPages);
        ModuleValidator.checkTables(binary, limits);
        ModuleValidator.checkDataSegments(binary.footprint(), memory);
        WasmBinary.Export run = binary.export(EXPORT_RUN).orElseThrow(() -> new ModelRefusedException(
                "the module does not export 'run'; the seed's contract is run(wasm_addr: i32, in_size: i32) -> i32"));
        WasmBinary.FuncType runType = type(List.of("i32", "i32"), List.of("i32"));
        if (run.kind() != WasmBinary.ExternKind.FUNC || !run.funcType().equals(runType)) {
            throw new ModelRefusedException("export 'run' must be a function " + runType + ", found "
                    + (run.funcType() != null ? "function " + run.funcType() : run.kind().name().toLowerCase()));
        }
        binary.export("_initialize").ifPresent(e -> {
            if (e.kind() != WasmBinary.ExternKind.FUNC || !e.funcType().equals(type(List.of(), List.of()))) {
                throw new ModelRefusedException("export '_initialize' must be a function () -> ()");
            }
        });
        return new TvmModule(binary, withMemoryMaximum(wasm, memory.maxPages()), metadata, memory);
    }

    private static void checkImports(WasmBinary binary) {
        for (WasmBinary.Import imp : binary.imports()) {
            WasmBinary.FuncType expected = imp.module().equals(WASI_MODULE) ? WASI_IMPORTS.get(imp.name()) : null;
            if (imp.kind() != WasmBinary.ExternKind.FUNC || expected == null) {
                throw new ModelRefusedException("the module imports " + imp + (imp.funcType() != null ? " "
                        + imp.funcType() : "") + ", which the sandbox does not provide. A " + TvmMetadata.ABI
                        + " module may import only " + WASI_MODULE + "." + String.join(", ",
                                WASI_IMPORTS.keySet().stream().sorted().toList())
                        + " (host stubs: no files, clock or sockets; docs/tvm-standalone.md)");
            }
            if (!imp.funcType().equals(expected)) {
                throw new ModelRefusedException("the module imports " + imp + " as " + imp.funcType()
                        + ", but WASI's " + imp.name() + " is " + expected);
            }
        }
    }

    private static MemoryPlan memoryPlan(WasmBinary binary, long capPages) {
        if (binary.definedMemories().size() != 1) {
            throw new ModelRefusedException("the module defines " + binary.definedMemories().size()
                    + " memories; the seed's modules define exactly one and export it as 'memory'");
        }
        if (binary.export("memory").filter(e -> e.kind() == WasmBinary.ExternKind.MEMORY).isEmpty()) {
            throw new ModelRefusedException("the module does not export its memory as 'memory'; the host writes "
                    + "the input tensor JSON into it");
        }
        WasmBinary.Limits limits = binary.definedMemories().get(0);
        if (limits.is64() || limits.shared()) {
            throw new ModelRefusedException("the module's memory is " + (limits.is64() ? "64-bit" : "shared")
                    + "; the seed's modules have one plain wasm32 memory");
        }
        if (limits.min() > capPages) {
            throw new ModelRefusedException("the module needs at least " + MemoryPlan.describePages(limits.min())
                    + " of memory, above the sandbox's cap of " + MemoryPlan.describePages(capPages)
                    + ". Raise the memory limit.");
        }
        boolean own = limits.max().isPresent() && limits.max().getAsLong() < capPages;
        return new MemoryPlan(false, limits.min(), own ? limits.max().getAsLong() : capPages, !own);
    }

    /**
     * {@code wasm} with the limits of its one defined memory rewritten to {@code min..maxPages}: the memory section
     * (id 5) is re-encoded, every other byte is kept.
     */
    static byte[] withMemoryMaximum(byte[] wasm, long maxPages) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(wasm.length + 8);
        out.write(wasm, 0, 8);
        int[] pos = {8};
        boolean done = false;
        while (pos[0] < wasm.length) {
            int start = pos[0];
            int id = wasm[pos[0]++] & 0xFF;
            long size = leb(wasm, pos);
            int end = pos[0] + (int) size;
            if (id == 5) {
                int[] p = {pos[0]};
                long count = leb(wasm, p);
                int flags = wasm[p[0]++] & 0xFF;
                long min = leb(wasm, p);
                if (count != 1 || (flags != 0 && flags != 1)) {
                    throw new ModelRefusedException("the module's memory section is not one plain wasm32 memory");
                }
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                writeLeb(body, 1);
                body.write(1); // flags: a maximum follows
                writeLeb(body, min);
                writeLeb(body, maxPages);
                out.write(5);
                writeLeb(out, body.size());
                out.writeBytes(body.toByteArray());
                done = true;
            } else {
                out.write(wasm, start, end - start);
            }
            pos[0] = end;
        }
        if (!done) {
            throw new ModelRefusedException("the module defines no memory");
        }
        return out.toByteArray();
    }

    private static long leb(byte[] b, int[] pos) {
        long v = 0;
        int shift = 0;
        int x;
        do {
            x = b[pos[0]++] & 0xFF;
            v |= (long) (x & 0x7F) << shift;
            shift += 7;
        } while ((x & 0x80) != 0);
        return v;
    }

    private static void writeLeb(ByteArrayOutputStream out, long value) {
        do {
            int b = (int) (value & 0x7F);
            value >>>= 7;
            out.write(value != 0 ? b | 0x80 : b);
        } while (value != 0);
    }
}
