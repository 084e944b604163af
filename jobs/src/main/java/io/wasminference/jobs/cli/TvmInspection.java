package io.wasminference.jobs.cli;

import io.wasminference.abi.MemoryPlan;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.TensorSpec;
import io.wasminference.abi.WasmBinary;
import io.wasminference.errors.WasmInferenceException;
import io.wasminference.runtime.ModelInstance;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.runtime.WasmModel;
import io.wasminference.tvm.TvmModule;

import java.io.PrintStream;

/** What {@code inspect --abi tvm-standalone} prints: the kind, the metadata, the imports and the verdict. */
public final class TvmInspection {
    private TvmInspection() {}

    /**
     * @param bytes the module with its sidecar attached (what {@code ModelRef.load()} returns for the kind)
     * @return the exit code: 0 when the module would serve, 2 when the sandbox refuses it
     */
    public static int print(byte[] bytes, SandboxLimits limits, PrintStream out) {
        out.println("size:        " + bytes.length + " bytes (with its sidecar attached)");
        out.println("sha256:      " + WasmModel.sha256(bytes));
        TvmModule module;
        try {
            module = TvmModule.check(bytes, limits.memoryLimitPages(), limits.moduleLimits());
        } catch (WasmInferenceException e) {
            try {
                WasmBinary.parse(bytes).imports().forEach(i -> out.println("import:      " + i + " "
                        + (i.funcType() != null ? i.funcType() : "")));
            } catch (WasmInferenceException ignored) {
                // malformed: the verdict says so
            }
            out.println("verdict:     REFUSED before running (" + e.kind() + ") - " + e.getMessage());
            return 2;
        }
        ModelMetadata m = module.metadata().model();
        out.println("abi:         tvm-standalone (TVM wasm-standalone's contract: tensor JSON through run(addr, len), "
                + "one sample per call; docs/tvm-standalone.md)");
        out.println("name:        " + m.name());
        out.println("version:     " + m.version());
        out.println("kind:        " + m.kind().name().toLowerCase());
        if (!m.description().isEmpty()) {
            out.println("description: " + m.description());
        }
        out.println("max batch:   " + m.maxBatch() + " (the operator's batch; one run call per sample)");
        for (TensorSpec t : m.inputs()) {
            out.println("input:       " + t + "  (JSON shape " + module.metadata().inputJsonShape() + ")");
        }
        for (TensorSpec t : m.outputs()) {
            out.println("output:      " + t + "  (JSON shape " + module.metadata().outputJsonShape() + ")");
        }
        if (!m.labels().isEmpty()) {
            out.println("labels:      " + String.join(", ", m.labels()));
        }
        for (WasmBinary.Import i : module.binary().imports()) {
            out.println("import:      " + i + " " + i.funcType() + "  (host stub)");
        }
        WasmBinary.Limits declared = module.binary().definedMemories().get(0);
        MemoryPlan plan = module.memory();
        out.println("memory:      exported 'memory', " + MemoryPlan.describePages(plan.minPages()) + " initially, "
                + (declared.max().isPresent() ? "declared maximum " + declared.max().getAsLong() + " pages"
                        : "no declared maximum")
                + "; capped at " + MemoryPlan.describePages(plan.maxPages()) + " in the binary before compiling");
        try (WasmModel model = WasmModel.load(bytes, limits); ModelInstance instance = model.newInstance()) {
            out.println("verdict:     OK - imports only WASI stubs, compiles, instantiates and answers a warm-up run "
                    + "within " + limits.startupTimeout().toMillis() + " ms (" + (instance.memoryBytes() >> 10)
                    + " KiB of memory after start-up)");
            return 0;
        } catch (WasmInferenceException e) {
            out.println("verdict:     REFUSED at start-up (" + e.kind() + ") - " + e.getMessage());
            return 2;
        }
    }
}
