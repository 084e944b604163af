package io.wasminference.compiler.wasm;

import io.wasminference.abi.ModelKind;
import io.wasminference.compiler.lower.ModelInterface;

import java.util.List;

/** Writes the {@code wasm-inference.v1} metadata section's text (docs/abi.md §2) for a compiled model. */
public final class MetadataText {
    private MetadataText() {}

    public static String of(String name, String version, int maxBatch, ModelKind kind, List<String> labels,
                            String description, ModelInterface iface) {
        StringBuilder sb = new StringBuilder();
        sb.append("abi: 1\n");
        sb.append("name: ").append(name).append('\n');
        sb.append("version: ").append(version).append('\n');
        sb.append("max_batch: ").append(maxBatch).append('\n');
        sb.append("kind: ").append(kind.name().toLowerCase(java.util.Locale.ROOT)).append('\n');
        if (description != null && !description.isBlank()) {
            sb.append("description: ").append(description.replace('\n', ' ').replace('\r', ' ')).append('\n');
        }
        for (ModelInterface.Io io : iface.inputs()) {
            sb.append("input: ").append(io.name()).append(' ').append(io.dtype().abiName()).append(' ')
                    .append(shape(io.sampleShape())).append('\n');
        }
        for (ModelInterface.Io io : iface.outputs()) {
            sb.append("output: ").append(io.name()).append(' ').append(io.dtype().abiName()).append(' ')
                    .append(shape(io.sampleShape())).append('\n');
        }
        for (int i = 0; i < labels.size(); i++) {
            sb.append("label: ").append(i).append(' ').append(labels.get(i).replace('\n', ' ')).append('\n');
        }
        return sb.toString();
    }

    private static String shape(int[] dims) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < dims.length; i++) {
            if (i > 0) {
                sb.append('x');
            }
            sb.append(dims[i]);
        }
        return sb.length() == 0 ? "1" : sb.toString();
    }
}
