package io.wasminference.abi;

import org.apache.flink.annotation.PublicEvolving;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Which contract a module follows. Chosen explicitly by whoever deploys it (a ModelRef option, {@code --abi}, the
 * repository manifest's {@code kind}); never guessed from the module's imports.
 */
@PublicEvolving
public enum ModuleKind {
    /** wasm-inference ABI v1 (docs/abi.md): metadata inside, no imports but its memory, batched {@code wi_run}. */
    V1("v1"),
    /**
     * TVM {@code apps/wasm-standalone}'s contract (docs/tvm-standalone.md): tensor JSON through
     * {@code run(addr, len)}, one sample per call, five WASI imports served by host stubs, metadata from a sidecar.
     */
    TVM_STANDALONE("tvm-standalone");

    private final String id;

    ModuleKind(String id) {
        this.id = id;
    }

    /** The name used on the command line and in manifests: {@code v1} or {@code tvm-standalone}. */
    public String id() {
        return id;
    }

    /** @throws IllegalArgumentException naming the accepted kinds */
    public static ModuleKind of(String id) {
        for (ModuleKind k : values()) {
            if (k.id.equals(id.toLowerCase(Locale.ROOT))) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown module kind '" + id + "' (accepted: "
                + Arrays.stream(values()).map(ModuleKind::id).collect(Collectors.joining(", ")) + ")");
    }

    @Override
    public String toString() {
        return id;
    }
}
