package io.wasminference.jobs;

import io.wasminference.abi.MemoryPlan;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.ModuleKind;
import io.wasminference.abi.ModuleValidator;
import io.wasminference.abi.TensorSpec;
import io.wasminference.abi.WasmBinary;
import io.wasminference.errors.WasmInferenceException;
import io.wasminference.jobs.cli.Locations;
import io.wasminference.jobs.cli.ModuleKinds;
import io.wasminference.jobs.cli.TvmInspection;
import io.wasminference.runtime.ModelInstance;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.runtime.WasmModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code inspect MODEL}: prints what the host reads from a module and whether it would run it. */
@Command(name = "inspect",
        customSynopsis = "${COMMAND-FULL-NAME} MODEL [OPTION]...",
        description = {
    "Print a model's ABI metadata, its imports and the sandbox's verdict.",
    "",
    "Exit code 0 if the sandbox would run it, 2 if it refuses it."})
final class InspectCommand implements Callable<Integer> {
    private final PrintStream out;

    @Parameters(paramLabel = "MODEL", description = "a path, a URI, or sample:NAME")
    String location;

    @Option(names = "--memory-mib", paramLabel = "MIB", defaultValue = "256",
            description = "linear memory cap (default ${DEFAULT-VALUE})")
    int memoryMib;

    @Option(names = "--startup-timeout-ms", paramLabel = "MS", defaultValue = "10000",
            description = "deadline of the instance's start-up (default ${DEFAULT-VALUE})")
    int startupTimeoutMs;

    @Option(names = "--abi", paramLabel = "KIND", defaultValue = "v1",
            description = "the model's contract: v1, or tvm-standalone for a TVM wasm-standalone module with its "
                    + "sidecar MODEL.tvm.txt (docs/tvm-standalone.md)")
    String abi;

    InspectCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() {
        SandboxLimits limits = SandboxLimits.defaults()
                .withMemoryLimitBytes((long) memoryMib << 20)
                .withStartupTimeout(Duration.ofMillis(startupTimeoutMs));
        ModuleKind kind = ModuleKinds.parse(abi);
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
