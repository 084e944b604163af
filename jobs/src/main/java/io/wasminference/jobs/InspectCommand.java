package io.wasminference.jobs;

import io.wasminference.abi.MemoryPlan;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.ModuleKind;
import io.wasminference.abi.ModuleValidator;
import io.wasminference.abi.TensorSpec;
import io.wasminference.abi.WasmBinary;
import io.wasminference.errors.WasmInferenceException;
import io.wasminference.jobs.cli.Args;
import io.wasminference.jobs.cli.Locations;
import io.wasminference.jobs.cli.ModuleKinds;
import io.wasminference.jobs.cli.TvmInspection;
import io.wasminference.runtime.ModelInstance;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.runtime.WasmModel;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Set;

/** {@code inspect MODEL}: prints what the host reads from a module and whether it would run it. */
final class InspectCommand {
    static final String USAGE = "inspect MODEL [--abi v1|tvm-standalone] [--memory-mib N] [--startup-timeout-ms N]\n"
            + "    Print a model's ABI metadata, its imports and the sandbox's verdict. MODEL is a path, a URI, or "
            + "sample:NAME.";

    private InspectCommand() {}

    static int run(String[] argv, PrintStream out) {
        Args args = Args.parse(argv, 1, Set.of("memory-mib", "startup-timeout-ms", ModuleKinds.OPTION), Set.of());
        if (args.positional().size() != 1) {
            throw new Args.UsageException("inspect takes exactly one MODEL");
        }
        String location = args.positional().get(0);
        SandboxLimits limits = SandboxLimits.defaults()
                .withMemoryLimitBytes((long) args.intValue("memory-mib", 256) << 20)
                .withStartupTimeout(Duration.ofMillis(args.intValue("startup-timeout-ms", 10_000)));
        ModuleKind kind = ModuleKinds.parse(args.get(ModuleKinds.OPTION, "v1"));
        out.println("model file:  " + location);
        byte[] bytes;
        try {
            bytes = ModuleKinds.model(location, kind).load();
        } catch (WasmInferenceException e) {
            out.println("verdict:     REFUSED - " + e.getMessage());
            return 2;
        }
        if (kind == ModuleKind.TVM_STANDALONE) {
            return TvmInspection.print(bytes, limits, out);
        }
        out.println("size:        " + bytes.length + " bytes");
        out.println("sha256:      " + WasmModel.sha256(bytes));
        ModuleValidator.ValidatedModule v;
        try {
            v = ModuleValidator.validate(bytes, limits.memoryLimitPages(), limits.moduleLimits());
        } catch (WasmInferenceException e) {
            out.println("verdict:     REFUSED before running (" + e.kind() + ") - " + e.getMessage());
            return 2;
        }
        print(out, v.metadata(), v.memory(), v.binary());
        try (WasmModel model = WasmModel.load(bytes, limits);
                ModelInstance instance = model.newInstance()) {
            out.println("verdict:     OK - passes the static checks, compiles, instantiates within "
                    + limits.startupTimeout().toMillis() + " ms and its control block matches the metadata ("
                    + (instance.memoryBytes() >> 10) + " KiB of memory after start-up)");
            return 0;
        } catch (WasmInferenceException e) {
            out.println("verdict:     REFUSED at start-up (" + e.kind() + ") - " + e.getMessage());
            return 2;
        }
    }

    private static void print(PrintStream out, ModelMetadata m, MemoryPlan memory, WasmBinary binary) {
        out.println("abi:         " + m.abiVersion());
        out.println("name:        " + m.name());
        out.println("version:     " + m.version());
        out.println("kind:        " + m.kind().name().toLowerCase());
        if (!m.description().isEmpty()) {
            out.println("description: " + m.description());
        }
        out.println("max batch:   " + m.maxBatch());
        for (TensorSpec t : m.inputs()) {
            out.println("input:       " + t + "  (" + t.sampleBytes() + " bytes per sample)");
        }
        for (TensorSpec t : m.outputs()) {
            out.println("output:      " + t + "  (" + t.sampleBytes() + " bytes per sample)");
        }
        if (!m.labels().isEmpty()) {
            out.println("labels:      " + String.join(", ", m.labels()));
        }
        out.println("memory:      " + (memory.imported() ? "imported env.memory" : "exported 'memory'") + ", "
                + memory.minPages() + " to " + memory.maxPages() + " pages ("
                + MemoryPlan.describeBytes(memory.minPages() * MemoryPlan.PAGE_BYTES) + " to "
                + MemoryPlan.describeBytes(memory.maxBytes()) + ")"
                + (memory.cappedBySandbox() ? ", the maximum is the sandbox's cap" : ""));
        WasmBinary.Footprint f = binary.footprint();
        out.println("code:        " + f.definedFunctions() + " functions, " + f.codeBytes() + " bytes of code "
                + "(largest function " + f.largestFunctionBytes() + " bytes), " + f.definedGlobals() + " globals, "
                + f.dataSegments().size() + " data segments, " + f.moduleBytes() + " bytes in all");
        out.println("table:       " + (binary.definedTables().isEmpty() ? "none" : binary.definedTables().stream()
                .map(t -> t.elementType() + " " + t.limits().min() + ".." + t.limits().max().orElse(-1))
                .collect(java.util.stream.Collectors.joining(", "))));
        out.println("start:       " + (binary.hasStartFunction() ? "has a start function" : "no start function")
                + (binary.export("_initialize").isPresent() ? ", exports _initialize" : ""));
    }
}
