package io.wasminference.runtime;

import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.ModuleValidator;
import io.wasminference.abi.ModuleValidator.ValidatedModule;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

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
 * any of its code runs. The compiled module is cached per JVM by sha256: loading the same bytes again (in another
 * subtask, say) reuses it.
 *
 * <p>Thread-safety: a {@code WasmModel} is thread-safe; {@link #newInstance()} may be called from any thread. Each
 * {@link ModelInstance} is confined to one thread. Instances keep the compiled module alive on their own, so
 * closing the model while instances are open is safe.
 */
public final class WasmModel implements AutoCloseable {
    private final CompiledModule compiled;
    private final ValidatedModule validated;
    private final SandboxLimits limits;
    private volatile boolean closed;

    private WasmModel(CompiledModule compiled, ValidatedModule validated, SandboxLimits limits) {
        this.compiled = compiled;
        this.validated = validated;
        this.limits = limits;
    }

    /**
     * Validates and compiles a module.
     *
     * @throws io.wasminference.errors.ModelRefusedException when the module is malformed, lacks valid metadata,
     *     imports anything but its memory, or exceeds the memory cap or the {@link SandboxLimits#moduleLimits()}
     */
    public static WasmModel load(byte[] wasm, SandboxLimits limits) {
        ValidatedModule validated = ModuleValidator.validate(wasm, limits.memoryLimitPages(),
                limits.moduleLimits());
        String sha256 = sha256(wasm);
        CompiledModule compiled = CompiledModule.acquire(wasm, sha256, validated.metadata().id(),
                limits.maxWasmStackBytes());
        return new WasmModel(compiled, validated, limits);
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
        return new ModelInstance(compiled, validated.metadata(), () -> Sandbox.create(compiled, validated, limits));
    }

    public ModelMetadata metadata() {
        return validated.metadata();
    }

    /** Hex sha256 of the module bytes. */
    public String sha256() {
        return compiled.sha256();
    }

    public SandboxLimits limits() {
        return limits;
    }

    /** Whether the host provides this module's memory (it imports {@code env.memory}). */
    public boolean hostProvidedMemory() {
        return validated.memory().imported();
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
