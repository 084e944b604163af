package io.wasminference.compiler;

import io.wasminference.model.ModelCompiler;

import java.util.List;
import java.util.Optional;

/**
 * Lets {@link io.wasminference.model.ModelRef} load {@code .onnx} files: compiled on load, with the options of
 * the sidecar file {@code model.onnx.compile} ({@link CompileArgs} syntax). Registered with
 * {@link java.util.ServiceLoader}.
 */
public final class OnnxModelCompiler implements ModelCompiler {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(OnnxModelCompiler.class);

    @Override
    public String format() {
        return "ONNX";
    }

    @Override
    public boolean accepts(String location, byte[] bytes) {
        // An ONNX ModelProto starts with field 1 (ir_version, varint: 0x08) in practice; the extension decides.
        return location.toLowerCase(java.util.Locale.ROOT).endsWith(".onnx")
                || bytes.length > 2 && bytes[0] == 0x08 && bytes[1] > 0 && bytes[1] < 0x20;
    }

    @Override
    public byte[] compile(String location, byte[] bytes, Optional<String> options) {
        CompileOptions.Builder b = CompileOptions.builder().name(defaultName(location)).version("1");
        if (options.isPresent()) {
            List<String> rest;
            try {
                rest = CompileArgs.apply(CompileArgs.tokenize(options.get()), b, null);
            } catch (IllegalArgumentException e) {
                throw new UnsupportedModelException("compile options " + location + ".compile: " + e.getMessage(), e);
            }
            if (!rest.isEmpty()) {
                throw new UnsupportedModelException("compile options " + location + ".compile: unknown arguments "
                        + rest + "; the flags are " + CompileArgs.USAGE);
            }
        }
        CompiledModel m = OnnxCompiler.compile(bytes, b.build());
        LOG.info("Compiled ONNX model {} to {} ({} bytes):\n{}", location, m.metadata().id(), m.wasm().length,
                m.report().summary());
        return m.wasm();
    }

    /** The file name without directories and extension, made a valid model name. */
    static String defaultName(String location) {
        String file = location.substring(Math.max(location.lastIndexOf('/'), location.lastIndexOf(':')) + 1);
        if (file.toLowerCase(java.util.Locale.ROOT).endsWith(".onnx")) {
            file = file.substring(0, file.length() - 5);
        }
        String name = file.replaceAll("[^A-Za-z0-9._-]", "_");
        return name.isEmpty() ? "model" : name.length() > 64 ? name.substring(0, 64) : name;
    }
}
