package io.wasminference.model;

import io.wasminference.errors.ModelRefusedException;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.testutils.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelRepositoryTest {
    @TempDir
    Path dir;

    @Test
    void publishesValidatedVersionsImmutablyAndListsThem() throws Exception {
        ModelRepository repo = new ModelRepository(dir.toString());
        List<String> golden = Fixtures.sampleLines("digits-mlp", "golden.jsonl");
        ModelManifest m = repo.publish(Fixtures.sample("digits-mlp", "model.wasm"), golden, SandboxLimits.defaults());
        assertThat(m.name()).isEqualTo("digits-mlp");
        assertThat(m.version()).isEqualTo("1.0.0");
        assertThat(m.inputs()).containsExactly("pixels f32 64");
        assertThat(m.golden()).hasSize(golden.size());
        assertThat(Files.exists(dir.resolve("digits-mlp/1.0.0/model.wasm"))).isTrue();
        assertThat(Files.exists(dir.resolve("digits-mlp/1.0.0/manifest.json"))).isTrue();

        // the same bytes again: a no-op; the reference it gives loads exactly those bytes
        assertThat(repo.publish(Fixtures.sample("digits-mlp", "model.wasm"), List.of(), SandboxLimits.defaults())
                .sha256()).isEqualTo(m.sha256());
        assertThat(repo.ref(m).load()).isEqualTo(Fixtures.sample("digits-mlp", "model.wasm"));

        // other bytes under the same version: refused
        assertThatThrownBy(() -> repo.publish(Fixtures.sample("digits-mlp", "model-scalar.wasm"), List.of(),
                SandboxLimits.defaults()))
                .isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining("published versions are immutable");

        repo.publish(Fixtures.wasm("identity"), List.of(), SandboxLimits.defaults());
        assertThat(repo.list()).extracting(x -> x.name() + ":" + x.version())
                .containsExactly("digits-mlp:1.0.0", "identity:1");
        assertThat(ModelManifest.fromJson(Files.readAllBytes(dir.resolve("digits-mlp/1.0.0/manifest.json"))))
                .isEqualTo(m);
    }

    /** Publishing wrote the files; a deploy reads them through {@link ModelRepository#ref}: both must find them. */
    @Test
    void aRepositoryWhosePathHasASpaceOrAHashDeploysWhatItPublished() throws Exception {
        for (String name : List.of("my models", "models #2", "50% off")) {
            Path root = Files.createDirectories(dir.resolve(name));
            for (String given : List.of(root.toString(), root.toUri().toString())) {
                ModelRepository repo = new ModelRepository(given);
                ModelManifest m = repo.publish(Fixtures.sample("digits-mlp", "model.wasm"), List.of(),
                        SandboxLimits.defaults());
                assertThat(root.resolve("digits-mlp/1.0.0/model.wasm")).exists();
                assertThat(repo.find("digits-mlp", "1.0.0")).contains(m);
                assertThat(repo.list()).containsExactly(m);
                assertThat(repo.ref(m).load()).as(given).isEqualTo(Fixtures.sample("digits-mlp", "model.wasm"));
            }
        }
    }

    @Test
    void refusesModulesThatFailValidationOrTheirGoldenVectors() {
        ModelRepository repo = new ModelRepository(dir.toString());
        assertThatThrownBy(() -> repo.publish(Fixtures.wasm("wasi_import"), List.of(), SandboxLimits.defaults()))
                .isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining("wasi_snapshot_preview1.fd_write");
        String wrongGolden = "{\"inputs\": {\"x\": {\"shape\": [4], \"data\": [1, 2, 3, 4]}}, "
                + "\"outputs\": {\"y\": {\"shape\": [4], \"data\": [1, 2, 3, 5]}}}";
        assertThatThrownBy(() -> repo.publish(Fixtures.wasm("identity"), List.of(wrongGolden),
                SandboxLimits.defaults()))
                .isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining("golden vector 0 of identity:1: output 'y'[3] is 4.0, expected 5.0");
        assertThat(dir.toFile().list()).isEmpty();
    }

    @Test
    void servingStatesRoundTripAndReadTheFirstFormat() {
        ModelVersion v1 = new ModelVersion("m", "1", "a".repeat(64), "/r/m/1/model.wasm");
        ModelVersion v2 = new ModelVersion("m", "2", "b".repeat(64), "/r/m/2/model.wasm");
        ServingState s = new ServingState(3, List.of(v1, v2));
        assertThat(ServingState.fromBytes(s.toBytes())).isEqualTo(s);
        assertThat(s.current()).isEqualTo(v2);
        assertThat(ServingState.fromBytes(v1.toBytes()).history()).containsExactly(v1);
    }
}
