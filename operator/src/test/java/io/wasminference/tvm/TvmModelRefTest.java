package io.wasminference.tvm;

import io.wasminference.abi.ModuleKind;
import io.wasminference.errors.ModelRefusedException;
import io.wasminference.model.ModelManifest;
import io.wasminference.model.ModelRef;
import io.wasminference.model.ModelRepository;
import io.wasminference.model.ModelVersion;
import io.wasminference.runtime.ModelInstance;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.runtime.WasmModel;
import io.wasminference.testutils.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Choosing the tvm-standalone kind: the ModelRef option with its sidecar file, checkpoints, the repository. */
class TvmModelRefTest {
    private static final byte[] SEED = Fixtures.sample("digits-mlp", "tvm-standalone.wasm");
    private static final String SIDECAR = new String(Fixtures.sample("digits-mlp", "tvm-standalone.wasm.tvm.txt"),
            StandardCharsets.UTF_8);

    @Test
    void theKindIsChosenExplicitlyAndTheSidecarIsAttached(@TempDir Path dir) throws Exception {
        Path wasm = dir.resolve("wasm_graph.wasm");
        Files.write(wasm, SEED);
        assertThatThrownBy(() -> WasmModel.load(ModelRef.of(wasm.toString()).load(), SandboxLimits.defaults()))
                .isInstanceOf(ModelRefusedException.class).hasMessageContaining("not an ABI v1 model");
        ModelRef ref = ModelRef.of(wasm.toString()).withKind(ModuleKind.TVM_STANDALONE);
        assertThatThrownBy(ref::load).isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining(wasm + ".tvm.txt");
        Files.writeString(dir.resolve("wasm_graph.wasm.tvm.txt"), SIDECAR);
        byte[] loaded = ref.load();
        assertThat(TvmModule.sidecarText(loaded)).hasValue(SIDECAR);
        try (WasmModel model = WasmModel.load(loaded, SandboxLimits.defaults())) {
            assertThat(model.kind()).isEqualTo(ModuleKind.TVM_STANDALONE);
            assertThat(model.metadata().id()).isEqualTo("digits-mlp:1.0.0");
            assertThat(model.imports()).hasSize(5).allMatch(i -> i.contains("wasi_snapshot_preview1."));
        }
    }

    @Test
    void aCheckpointedVersionRestoresFromItsLocationAlone(@TempDir Path dir) throws Exception {
        Path wasm = dir.resolve("m.wasm");
        Files.write(wasm, SEED);
        Files.writeString(dir.resolve("m.wasm.tvm.txt"), SIDECAR);
        ModelRef ref = ModelRef.of(wasm.toString()).withKind(ModuleKind.TVM_STANDALONE);
        String sha;
        try (WasmModel model = WasmModel.load(ref.load(), SandboxLimits.defaults())) {
            sha = model.sha256();
        }
        // Checkpointed state keeps name, version, sha256 and location, not the kind: the pin tells it.
        ModelRef restored = new ModelVersion("digits-mlp", "1.0.0", sha, wasm.toString()).ref();
        assertThat(restored.kind()).isEqualTo(ModuleKind.V1);
        assertThat(WasmModel.sha256(restored.load())).isEqualTo(sha);
        // A changed sidecar is a changed model: the pin refuses it.
        Files.writeString(dir.resolve("m.wasm.tvm.txt"), SIDECAR.replace("max_batch: 128", "max_batch: 64"));
        assertThatThrownBy(restored::load).isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining("was expected");
    }

    @Test
    void theRepositoryPublishesTheKindInTheManifest(@TempDir Path dir) throws Exception {
        ModelRepository repo = new ModelRepository(dir.toString());
        ModelManifest manifest = repo.publish(TvmModule.attach(SEED, SIDECAR), List.of(), SandboxLimits.defaults());
        assertThat(manifest.kind()).isEqualTo(ModuleKind.TVM_STANDALONE);
        assertThat(manifest.toJson()).contains("\"kind\" : \"tvm-standalone\"");
        ModelManifest found = repo.find("digits-mlp", "1.0.0").orElseThrow();
        assertThat(found.kind()).isEqualTo(ModuleKind.TVM_STANDALONE);
        ModelRef ref = repo.ref(found);
        assertThat(ref.kind()).isEqualTo(ModuleKind.TVM_STANDALONE);
        try (WasmModel model = WasmModel.load(ref.load(), SandboxLimits.defaults());
                ModelInstance instance = model.newInstance()) {
            assertThat(model.kind()).isEqualTo(ModuleKind.TVM_STANDALONE);
        }
        // v1 manifests stay as they were: no "kind".
        ModelManifest v1 = new ModelRepository(dir.resolve("v1").toString()).publish(
                Fixtures.sample("digits-mlp", "model.wasm"), List.of(),
                SandboxLimits.defaults().withMemoryLimitBytes(64L << 20));
        assertThat(v1.kind()).isEqualTo(ModuleKind.V1);
        assertThat(v1.toJson()).doesNotContain("\"kind\"");
    }
}
