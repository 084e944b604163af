package io.wasminference.runtime;

import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.ModuleValidator;
import io.wasminference.abi.ModuleKind;
import io.wasminference.abi.ModuleLimits;
import io.wasminference.abi.ModuleValidator.ValidatedModule;
import io.wasminference.tvm.TvmModule;
import org.apache.flink.annotation.PublicEvolving;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;

/**
 * A validated, compiled model: the entry point of the runtime.
 *
 * <pre>{@code
 * try (WasmModel model = WasmModel.load(bytes, SandboxLimits.defaults());
 *      ModelInstance instance = model.newInstance()) {
 *     List<Tensor> outputs = instance.run(List.of(input));
 * }
 * }</pre>
 *
 * <p>Loading checks the module statically (docs/abi.md §1) before compiling it, so a bad model is refused before
 * any of its code runs. A module that carries the {@code wasm-inference.tvm-standalone} section (attached from its
 * sidecar when it was chosen as that kind, docs/tvm-standalone.md) follows the seed's contract instead and gets
 * that kind's checks and sandbox; every other module is held to ABI v1. The compiled module is cached per JVM by sha256: loading the same bytes again (in another
 * subtask, say) reuses it.
 *
 * <p>Thread-safety: a {@code WasmModel} is thread-safe; {@link #newInstance()} may be called from any thread. Each
 * {@link ModelInstance} is confined to one thread. Instances keep the compiled module alive on their own, so
 * closing the model while instances are open is safe.
 */
@PublicEvolving
public final class WasmModel implements AutoCloseable {
    private final CompiledModule compiled;
    private final ModuleKind kind;
    private final ModelMetadata metadata;
    private final String sha256;
    private final boolean hostProvidedMemory;
    private final List<String> imports;
    private final Supplier<LiveInstance> starter;
    private final SandboxLimits limits;
    private volatile boolean closed;

    private WasmModel(CompiledModule compiled, ModuleKind kind, ModelMetadata metadata, String sha256,
            boolean hostProvidedMemory, List<String> imports, Supplier<LiveInstance> starter, SandboxLimits limits) {
        this.compiled = compiled;
        this.kind = kind;
        this.metadata = metadata;
        this.sha256 = sha256;
        this.hostProvidedMemory = hostProvidedMemory;
        this.imports = List.copyOf(imports);
        this.starter = starter;
        this.limits = limits;
    }

    /**
     * Validates and compiles a module.
     *
     * @throws io.wasminference.errors.ModelRefusedException when the module is malformed, lacks valid metadata,
     *     imports anything but its memory, or exceeds the memory cap or the {@link SandboxLimits#moduleLimits()}
     */
    public static WasmModel load(byte[] wasm, SandboxLimits limits) {
        if (TvmModule.isTvmStandalone(wasm)) {
            return loadTvmStandalone(wasm, limits);
        }
        ValidatedModule validated = ModuleValidator.validate(wasm, limits.memoryLimitPages(),
                limits.moduleLimits());
        String sha256 = sha256(wasm);
        CompiledModule compiled = CompiledModule.acquire(wasm, sha256, validated.metadata().id(),
                limits.maxWasmStackBytes());
        return new WasmModel(compiled, ModuleKind.V1, validated.metadata(), sha256, validated.memory().imported(),
                validated.binary().imports().stream().map(Object::toString).toList(),
                () -> Sandbox.create(compiled, validated, limits), limits);
    }

    /**
     * A seed-style module with its sidecar attached ({@link TvmModule#attach}; docs/tvm-standalone.md): checked,
     * its memory capped in the binary, compiled; its instances speak the seed's JSON contract behind the same
     * batch interface.
     */
    private static WasmModel loadTvmStandalone(byte[] wasm, SandboxLimits limits) {
        TvmModule module = TvmModule.check(wasm, limits.memoryLimitPages(), limits.moduleLimits());
        String modelId = module.metadata().model().id();
        // The capped bytes are what runs, so they are what the compile cache is keyed by.
        CompiledModule compiled = CompiledModule.acquire(module.capped(), sha256(module.capped()), modelId,
                limits.maxWasmStackBytes());
        return new WasmModel(compiled, ModuleKind.TVM_STANDALONE, module.metadata().model(), sha256(wasm), false,
                module.binary().imports().stream().map(i -> i + " " + i.funcType()).toList(),
                () -> TvmSandbox.create(compiled, module, limits), limits);
    }

    /**
     * The metadata of a module of either kind after the static checks alone: nothing is compiled or run and no
     * native code is loaded (a JobManager or a deserializer may call it).
     *
     * @param maxMemoryPages the memory cap the checks assume, in 64 KiB pages
     * @throws io.wasminference.errors.ModelRefusedException when the static checks refuse the module
     */
    public static ModelMetadata metadataOf(byte[] wasm, long maxMemoryPages) {
        return TvmModule.isTvmStandalone(wasm)
                ? TvmModule.check(wasm, maxMemoryPages, ModuleLimits.defaults()).metadata().model()
                : ModuleValidator.validate(wasm, maxMemoryPages).metadata();
    }

    public static WasmModel load(Path file, SandboxLimits limits) throws IOException {
        return load(Files.readAllBytes(file), limits);
    }

    /**
     * Creates a fresh sandboxed instance: its own store and linear memory, instantiated under the start-up
     * deadline, with its control block checked against the metadata.
     */
    public ModelInstance newInstance() {
        if (closed) {
            throw new IllegalStateException("model " + metadata().id() + " is closed");
        }
        return new ModelInstance(compiled, metadata, starter);
    }

    public ModelMetadata metadata() {
        return metadata;
    }

    /** Which contract the module follows. */
    public ModuleKind kind() {
        return kind;
    }

    /** The module's imports as {@code kind module.name}, in order (all served by the sandbox, or it was refused). */
    public List<String> imports() {
        return imports;
    }

    /** Hex sha256 of the module bytes as loaded. */
    public String sha256() {
        return sha256;
    }

    public SandboxLimits limits() {
        return limits;
    }

    /** Whether the host provides this module's memory (it imports {@code env.memory}). */
    public boolean hostProvidedMemory() {
        return hostProvidedMemory;
    }

    /** Hex sha256 of {@code bytes}. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /** Releases this handle's reference to the compiled module. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        compiled.release();
    }
}
