package io.wasminference.model;

import io.wasminference.errors.ModelRefusedException;
import io.wasminference.runtime.WasmModel;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.function.Supplier;

/**
 * The {@link ModelCompiler}s on the classpath, and a per-JVM cache of what they compiled: every subtask of a
 * TaskManager that loads the same ONNX file with the same options compiles it once. The cache is a deliberate
 * static: bounded (least recently used out), keyed by the sha256 of the source and of its options.
 */
final class ModelCompilers {
    static final String SIDECAR_SUFFIX = ".compile";
    private static final byte[] WASM_MAGIC = {0x00, 0x61, 0x73, 0x6d};
    private static final int CACHE_ENTRIES = 16;

    /** Guarded by itself. */
    private static final Map<String, byte[]> CACHE = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, byte[]> eldest) {
            return size() > CACHE_ENTRIES;
        }
    };

    private ModelCompilers() {}

    static boolean isWasm(byte[] bytes) {
        if (bytes.length < 4) {
            return false;
        }
        for (int i = 0; i < 4; i++) {
            if (bytes[i] != WASM_MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    static byte[] compile(String location, byte[] bytes, Supplier<Optional<String>> sidecar) {
        List<ModelCompiler> compilers = ServiceLoader.load(ModelCompiler.class, ModelCompilers.class.getClassLoader())
                .stream().map(ServiceLoader.Provider::get).toList();
        ModelCompiler compiler = compilers.stream().filter(c -> c.accepts(location, bytes)).findFirst()
                .orElseThrow(() -> new ModelRefusedException("model " + location + " is not a WebAssembly module"
                        + (location.endsWith(".onnx") ? " but an ONNX file, and no ONNX compiler is on the classpath: "
                                + "add io.wasminference:wasm-inference-compiler to the job, or compile it ahead "
                                + "(java -jar wasm-inference-jobs.jar compile " + location + " -o model.wasm)"
                                : " (it does not start with \\0asm)" + (compilers.isEmpty() ? ""
                                        : " nor a format of " + compilers.stream().map(ModelCompiler::format).toList()))));
        Optional<String> options = sidecar.get();
        String key = WasmModel.sha256(bytes) + "/" + options.map(o -> WasmModel.sha256(
                o.getBytes(java.nio.charset.StandardCharsets.UTF_8))).orElse("-");
        synchronized (CACHE) {
            byte[] hit = CACHE.get(key);
            if (hit != null) {
                return hit;
            }
        }
        byte[] wasm = compiler.compile(location, bytes, options);
        synchronized (CACHE) {
            CACHE.put(key, wasm);
        }
        return wasm;
    }
}
