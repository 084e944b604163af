package io.wasminference.abi;

import io.wasminference.errors.ModelRefusedException;
import org.apache.flink.annotation.PublicEvolving;

import java.util.List;

/**
 * Checks a module against ABI v1, the sandbox's memory cap and the {@link ModuleLimits} before it is compiled or
 * instantiated (docs/abi.md §1): metadata present and valid, no imports but one memory, a bounded memory, at most
 * one small bounded funcref table, the two entry points with the right signatures.
 */
@PublicEvolving
public final class ModuleValidator {

    private ModuleValidator() {}

    /** A module that passed the static checks. */
    public record ValidatedModule(WasmBinary binary, ModelMetadata metadata, MemoryPlan memory) {}

    /** {@link #validate(byte[], long, ModuleLimits)} with {@link ModuleLimits#defaults()}. */
    public static ValidatedModule validate(byte[] bytes, long maxMemoryPages) {
        return validate(bytes, maxMemoryPages, ModuleLimits.defaults());
    }

    /**
     * @param bytes the .wasm file
     * @param maxMemoryPages the sandbox's cap on linear memory, in 64 KiB pages
     * @param limits what else the module may declare
     * @throws ModelRefusedException saying what is wrong and how to fix it
     */
    public static ValidatedModule validate(byte[] bytes, long maxMemoryPages, ModuleLimits limits) {
        if (bytes.length > limits.maxModuleBytes()) {
            throw new ModelRefusedException("the module is " + bytes.length + " bytes, above the sandbox's limit of "
                    + limits.maxModuleBytes() + " bytes (ModuleLimits.maxModuleBytes)");
        }
        WasmBinary binary = WasmBinary.parse(bytes);
        ModelMetadata metadata = metadata(binary);
        checkFootprint(binary.footprint(), limits);
        MemoryPlan memory = memoryPlan(binary, maxMemoryPages);
        checkTables(binary, limits);
        checkDataSegments(binary.footprint(), memory);
        for (TensorSpec t : concat(metadata.inputs(), metadata.outputs())) {
            long batchBytes = t.sampleBytes() * metadata.maxBatch();
            if (t.sampleBytes() > Integer.MAX_VALUE || batchBytes > memory.maxBytes()) {
                throw new ModelRefusedException("tensor '" + t.name() + "' (" + t + ") needs " + batchBytes
                        + " bytes at max_batch " + metadata.maxBatch() + ", more than the " + memory.maxBytes()
                        + " bytes of memory the module may have; lower max_batch or raise the memory limit");
            }
        }
        requireEntryPoint(binary, ControlBlock.EXPORT_CONTROL, List.of(), List.of("i32"));
        requireEntryPoint(binary, ControlBlock.EXPORT_RUN, List.of(), List.of("i32"));
        binary.export(ControlBlock.EXPORT_INITIALIZE).ifPresent(e -> {
            if (e.kind() != WasmBinary.ExternKind.FUNC || !e.funcType().params().isEmpty()
                    || !e.funcType().results().isEmpty()) {
                throw new ModelRefusedException("export '_initialize' must be a function () -> (), found "
                        + describe(e));
            }
        });
        return new ValidatedModule(binary, metadata, memory);
    }

    private static List<TensorSpec> concat(List<TensorSpec> a, List<TensorSpec> b) {
        List<TensorSpec> all = new java.util.ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static ModelMetadata metadata(WasmBinary binary) {
        List<byte[]> sections = binary.customSections().get(WasmBinary.METADATA_SECTION);
        if (sections == null || sections.isEmpty()) {
            String other = binary.customSections().keySet().stream()
                    .filter(n -> n.startsWith("wasm-inference."))
                    .findFirst()
                    .map(n -> " It has a section '" + n + "' for an ABI this host does not implement.")
                    .orElse("");
            throw new ModelRefusedException("the module has no '" + WasmBinary.METADATA_SECTION
                    + "' custom section, so it is not an ABI v1 model." + other
                    + " Attach metadata with 'java -jar wasm-inference-jobs.jar meta attach MODEL.wasm META.txt' "
                    + "(see docs/abi.md §2).");
        }
        if (sections.size() > 1) {
            throw new ModelRefusedException("the module has " + sections.size() + " '"
                    + WasmBinary.METADATA_SECTION + "' sections; exactly one is allowed");
        }
        return MetadataParser.parse(sections.get(0));
    }

    private static MemoryPlan memoryPlan(WasmBinary binary, long capPages) {
        MemoryPlan plan = null;
        for (WasmBinary.Import imp : binary.imports()) {
            boolean isEnvMemory = imp.kind() == WasmBinary.ExternKind.MEMORY
                    && imp.module().equals(ControlBlock.IMPORT_MEMORY_MODULE)
                    && imp.name().equals(ControlBlock.IMPORT_MEMORY_NAME);
            if (!isEnvMemory) {
                throw new ModelRefusedException("the module imports " + imp
                        + (imp.funcType() != null ? " " + imp.funcType() : "")
                        + ", but the sandbox provides no host functions, globals or tables (only the memory "
                        + "env.memory). A model must be a pure function of its inputs: rebuild it without "
                        + (imp.module().startsWith("wasi") ? "WASI (no libc I/O; -nostdlib, or stub it out)"
                                : "that import")
                        + ".");
            }
            WasmBinary.Limits limits = imp.memoryLimits();
            checkMemoryKind(limits, "imported memory env.memory");
            if (limits.min() > capPages) {
                throw new ModelRefusedException("the module needs at least " + limits.min() + " pages ("
                        + bytesOf(limits.min()) + ") of memory, above the sandbox's cap of " + capPages + " pages ("
                        + bytesOf(capPages) + "). Raise the memory limit or shrink the model.");
            }
            boolean cappedBySandbox = limits.max().isEmpty() || limits.max().getAsLong() >= capPages;
            long max = cappedBySandbox ? capPages : limits.max().getAsLong();
            plan = new MemoryPlan(true, limits.min(), max, cappedBySandbox);
        }
        List<WasmBinary.Limits> defined = binary.definedMemories();
        if (defined.size() + (plan != null ? 1 : 0) > 1) {
            throw new ModelRefusedException("the module has more than one memory; ABI v1 allows exactly one");
        }
        if (defined.size() == 1) {
            WasmBinary.Limits limits = defined.get(0);
            checkMemoryKind(limits, "memory");
            if (binary.export(ControlBlock.EXPORT_MEMORY).filter(e -> e.kind() == WasmBinary.ExternKind.MEMORY)
                    .isEmpty()) {
                throw new ModelRefusedException("the module defines a memory but does not export it as 'memory'");
            }
            if (limits.max().isEmpty()) {
                throw new ModelRefusedException("the module's own memory declares no maximum, so the sandbox cannot "
                        + "cap it. Import the memory instead (clang: -Wl,--import-memory) or declare a maximum "
                        + "(clang: -Wl,--max-memory=N) of at most " + capPages + " pages (" + bytesOf(capPages) + ").");
            }
            if (limits.max().getAsLong() > capPages || limits.min() > capPages) {
                throw new ModelRefusedException("the module's memory declares a maximum of "
                        + limits.max().getAsLong() + " pages (" + bytesOf(limits.max().getAsLong())
                        + "), above the sandbox's cap of " + capPages + " pages (" + bytesOf(capPages)
                        + "). Raise the memory limit, or import the memory (-Wl,--import-memory) so the host caps it.");
            }
            plan = new MemoryPlan(false, limits.min(), limits.max().getAsLong(), false);
        }
        if (plan == null) {
            throw new ModelRefusedException("the module has no memory; it must import env.memory or export 'memory'");
        }
        return plan;
    }

    /**
     * Cranelift's time and memory grow with the code, and Wasmtime has no compile deadline: bound the code before
     * compiling it. Globals live in every instance, outside the memory cap.
     */
    public static void checkFootprint(WasmBinary.Footprint f, ModuleLimits limits) {
        String raise = " Split the model or raise the limit (ModuleLimits.";
        if (f.codeBytes() > limits.maxCodeBytes()) {
            throw new ModelRefusedException("the module's code section is " + f.codeBytes() + " bytes, above the "
                    + "sandbox's limit of " + limits.maxCodeBytes() + " bytes: compiling it could take minutes."
                    + raise + "maxCodeBytes); keep weights in data segments, not in code.");
        }
        if (f.largestFunctionBytes() > limits.maxFunctionBytes()) {
            throw new ModelRefusedException("the module has a function body of " + f.largestFunctionBytes()
                    + " bytes, above the sandbox's limit of " + limits.maxFunctionBytes() + " bytes per function: "
                    + "Cranelift's time and memory grow with it (a 5 MB function took 27-63 s and +900 MiB here)." + raise
                    + "maxFunctionBytes); loops instead of fully unrolled code keep functions small.");
        }
        if (f.definedFunctions() > limits.maxFunctions()) {
            throw new ModelRefusedException("the module defines " + f.definedFunctions() + " functions, above the "
                    + "sandbox's limit of " + limits.maxFunctions() + "." + raise + "maxFunctions).");
        }
        if (f.definedGlobals() > limits.maxGlobals()) {
            throw new ModelRefusedException("the module defines " + f.definedGlobals() + " globals, above the "
                    + "sandbox's limit of " + limits.maxGlobals() + " (every instance keeps them outside the memory "
                    + "cap)." + raise + "maxGlobals).");
        }
    }

    /**
     * Active data segments are copied into the memory at instantiation, which traps if one does not fit the
     * initial size; say so from the binary instead, before anything runs. (A module's data cannot take more than
     * the memory cap: the initial size is within it.)
     */
    public static void checkDataSegments(WasmBinary.Footprint f, MemoryPlan memory) {
        long initialBytes = memory.minPages() * MemoryPlan.PAGE_BYTES;
        for (WasmBinary.DataSegment d : f.dataSegments()) {
            if (d.active() && d.offset() >= 0 && d.offset() + d.length() > initialBytes) {
                throw new ModelRefusedException("data segment " + d.index() + " (" + d.length() + " bytes at offset "
                        + d.offset() + ") ends at byte " + (d.offset() + d.length()) + ", beyond the memory's "
                        + "initial size of " + initialBytes + " bytes (" + memory.minPages() + " pages): "
                        + "instantiation would fail. Declare a larger initial memory (clang: -Wl,--initial-memory=N).");
            }
        }
    }

    /**
     * Tables are native memory the memory cap does not cover and wasmtime-java has no limiter for: Wasmtime
     * allocates a table's minimum at instantiation and {@code table.grow} up to its declared maximum (a grow of
     * 2^32-1 entries aborted the JVM). So a table needs a small declared maximum. ABI v1 has no reference types,
     * which leaves at most one table, of funcref, that only element segments fill (indirect calls).
     */
    public static void checkTables(WasmBinary binary, ModuleLimits limits) {
        List<WasmBinary.Table> tables = binary.definedTables();
        if (tables.size() > 1) {
            throw new ModelRefusedException("the module defines " + tables.size() + " tables; ABI v1 allows at most "
                    + "one (a funcref table for indirect calls): several tables need the reference-types feature, "
                    + "which the sandbox does not enable (docs/abi.md §6)");
        }
        for (WasmBinary.Table t : tables) {
            if (!t.elementType().equals("funcref")) {
                throw new ModelRefusedException("the module's table holds " + t.elementType() + "; ABI v1 allows "
                        + "only a funcref table (indirect calls): " + t.elementType() + " needs the reference-types "
                        + "feature, which the sandbox does not enable (docs/abi.md §6)");
            }
            String fix = " Declare a maximum of at most " + limits.maxTableElements() + " elements (wasm-ld does "
                    + "unless linked with --growable-table; in WAT: (table N N funcref)), or raise the table "
                    + "limit (ModuleLimits.maxTableElements).";
            if (t.limits().max().isEmpty()) {
                throw new ModelRefusedException("the module's table (funcref, " + t.limits().min() + " elements) "
                        + "declares no maximum. Tables are native memory outside the memory cap, so the sandbox "
                        + "needs a declared bound." + fix);
            }
            long max = t.limits().max().getAsLong();
            if (max > limits.maxTableElements() || t.limits().min() > limits.maxTableElements()) {
                throw new ModelRefusedException("the module's table (funcref) declares " + t.limits().min()
                        + ".." + max + " elements, above the sandbox's limit of " + limits.maxTableElements()
                        + " (8 bytes each, outside the memory cap)." + fix);
            }
        }
    }

    private static void checkMemoryKind(WasmBinary.Limits limits, String what) {
        if (limits.is64()) {
            throw new ModelRefusedException("the " + what + " is a 64-bit memory; ABI v1 is for wasm32");
        }
        if (limits.shared()) {
            throw new ModelRefusedException("the " + what + " is shared (threads); ABI v1 runs single-threaded modules");
        }
    }

    private static void requireEntryPoint(WasmBinary binary, String name, List<String> params, List<String> results) {
        WasmBinary.Export export = binary.export(name).orElseThrow(() -> new ModelRefusedException(
                "the module does not export '" + name + "'; ABI v1 requires functions wi_control() -> i32 and "
                        + "wi_run() -> i32 (docs/abi.md §1)"));
        if (export.kind() != WasmBinary.ExternKind.FUNC || !export.funcType().params().equals(params)
                || !export.funcType().results().equals(results)) {
            throw new ModelRefusedException("export '" + name + "' must be a function () -> (i32), found "
                    + describe(export) + ". Entry points take no arguments: pointers and sizes go through the "
                    + "control block (docs/abi.md §4).");
        }
    }

    private static String describe(WasmBinary.Export e) {
        return e.kind() == WasmBinary.ExternKind.FUNC ? "function " + e.funcType() : e.kind().name().toLowerCase();
    }

    private static String bytesOf(long pages) {
        return MemoryPlan.describeBytes(pages * MemoryPlan.PAGE_BYTES);
    }
}
