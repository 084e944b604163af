package io.wasminference.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.ModuleKind;
import io.wasminference.abi.TensorSpec;
import org.apache.flink.annotation.PublicEvolving;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code manifest.json} of one published model version (docs/hot-swap.md): its hash, when it was published, a
 * summary of its metadata and optional golden vectors (inputs with the outputs they must produce).
 *
 * @param name model name
 * @param version model version
 * @param sha256 hex sha256 of model.wasm
 * @param sizeBytes size of model.wasm
 * @param created ISO-8601 publication time
 * @param maxBatch declared largest batch
 * @param inputs inputs as {@code NAME DTYPE SHAPE}
 * @param outputs outputs as {@code NAME DTYPE SHAPE}
 * @param golden golden vectors, each {@code {"inputs": {...}, "outputs": {...}}} as in the samples' golden.jsonl
 * @param kind the contract model.wasm follows ({@code "kind"}; absent in manifests written before there were
 *     kinds, which are {@link ModuleKind#V1})
 */
@PublicEvolving
public record ModelManifest(String name, String version, String sha256, long sizeBytes, String created,
        int maxBatch, List<String> inputs, List<String> outputs, List<String> golden, ModuleKind kind)
        implements Serializable {
    private static final ObjectMapper JSON = new ObjectMapper();

    public ModelManifest {
        kind = kind == null ? ModuleKind.V1 : kind;
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        golden = List.copyOf(golden);
    }

    /** An ABI v1 model's manifest. */
    public ModelManifest(String name, String version, String sha256, long sizeBytes, String created, int maxBatch,
            List<String> inputs, List<String> outputs, List<String> golden) {
        this(name, version, sha256, sizeBytes, created, maxBatch, inputs, outputs, golden, ModuleKind.V1);
    }

    static ModelManifest of(ModelMetadata m, String sha256, long size, String created, List<String> golden,
            ModuleKind kind) {
        return new ModelManifest(m.name(), m.version(), sha256, size, created, m.maxBatch(),
                m.inputs().stream().map(TensorSpec::toString).toList(),
                m.outputs().stream().map(TensorSpec::toString).toList(), golden, kind);
    }

    public String toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("name", name).put("version", version).put("sha256", sha256).put("size_bytes", sizeBytes)
                .put("created", created).put("abi", 1).put("max_batch", maxBatch);
        if (kind != ModuleKind.V1) {
            n.put("kind", kind.id()); // absent for v1: manifests (and their signatures) stay as they were
        }
        ArrayNode in = n.putArray("inputs");
        inputs.forEach(in::add);
        ArrayNode out = n.putArray("outputs");
        outputs.forEach(out::add);
        ArrayNode g = n.putArray("golden");
        try {
            for (String line : golden) {
                g.add(JSON.readTree(line));
            }
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ModelManifest fromJson(byte[] bytes) throws IOException {
        JsonNode n = JSON.readTree(new String(bytes, StandardCharsets.UTF_8));
        List<String> in = new ArrayList<>();
        n.path("inputs").forEach(x -> in.add(x.asText()));
        List<String> out = new ArrayList<>();
        n.path("outputs").forEach(x -> out.add(x.asText()));
        List<String> golden = new ArrayList<>();
        for (JsonNode g : n.path("golden")) {
            golden.add(JSON.writeValueAsString(g));
        }
        for (String field : List.of("name", "version", "sha256")) {
            if (!n.hasNonNull(field)) {
                throw new IOException("manifest has no '" + field + "'");
            }
        }
        ModuleKind kind;
        try {
            kind = n.hasNonNull("kind") ? ModuleKind.of(n.get("kind").asText()) : ModuleKind.V1;
        } catch (IllegalArgumentException e) {
            throw new IOException("manifest: " + e.getMessage(), e);
        }
        return new ModelManifest(n.get("name").asText(), n.get("version").asText(), n.get("sha256").asText(),
                n.path("size_bytes").asLong(), n.path("created").asText(), n.path("max_batch").asInt(), in, out,
                golden, kind);
    }
}
