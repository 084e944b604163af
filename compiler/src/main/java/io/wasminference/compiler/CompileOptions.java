package io.wasminference.compiler;

import org.apache.flink.annotation.PublicEvolving;
import io.wasminference.abi.ModelKind;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the compiler needs beyond the ONNX file: the module's metadata (name, version, kind, labels), the largest
 * batch, and per-input overrides. Immutable; build with {@link #builder()}.
 *
 * @param batchAxis whether dimension 0 of every input and output is the batch (true for exported models with a
 *     dynamic or size-1 first dimension); false compiles the graph's full shapes as one sample
 * @param rejectNonFinite whether the module refuses float inputs holding NaN or infinity (as INVALID_INPUT, so
 *     the record goes to the dead letters instead of yielding NaN predictions)
 */
@PublicEvolving
public record CompileOptions(String name, String version, int maxBatch, ModelKind kind, List<String> labels,
                             String description, Map<String, InputOptions> inputs, boolean batchAxis,
                             boolean rejectNonFinite) {

    public static final int DEFAULT_MAX_BATCH = 64;

    public CompileOptions {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        labels = labels == null ? List.of() : List.copyOf(labels);
        inputs = Map.copyOf(inputs == null ? Map.of() : inputs);
        if (maxBatch < 1 || maxBatch > 65536) {
            throw new IllegalArgumentException("max batch must be 1..65536, got " + maxBatch);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder().name(name).version(version).maxBatch(maxBatch).kind(kind).labels(labels)
                .description(description).batchAxis(batchAxis).rejectNonFinite(rejectNonFinite);
        inputs.values().forEach(b::input);
        return b;
    }

    /** Builder with the defaults: name "model", version "1", max batch 64, kind from the labels. */
    public static final class Builder {
        private String name = "model";
        private String version = "1";
        private int maxBatch = DEFAULT_MAX_BATCH;
        private ModelKind kind;
        private List<String> labels = new ArrayList<>();
        private String description;
        private final Map<String, InputOptions> inputs = new LinkedHashMap<>();
        private boolean batchAxis = true;
        private boolean rejectNonFinite = true;

        public Builder name(String v) {
            this.name = v;
            return this;
        }

        public Builder version(String v) {
            this.version = v;
            return this;
        }

        public Builder maxBatch(int v) {
            this.maxBatch = v;
            return this;
        }

        /** classifier or generic; unset means classifier when labels are given. */
        public Builder kind(ModelKind v) {
            this.kind = v;
            return this;
        }

        public Builder labels(List<String> v) {
            this.labels = new ArrayList<>(v);
            return this;
        }

        public Builder description(String v) {
            this.description = v;
            return this;
        }

        public Builder input(InputOptions v) {
            inputs.put(v.name(), v);
            return this;
        }

        public Builder batchAxis(boolean v) {
            this.batchAxis = v;
            return this;
        }

        public Builder rejectNonFinite(boolean v) {
            this.rejectNonFinite = v;
            return this;
        }

        public CompileOptions build() {
            return new CompileOptions(name, version, maxBatch, kind, labels, description, inputs, batchAxis,
                    rejectNonFinite);
        }
    }
}
