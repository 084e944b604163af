package io.wasminference.model;

import io.wasminference.errors.ModelRefusedException;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.signing.Ed25519Keys;
import io.wasminference.signing.ModelSignature;
import io.wasminference.signing.TrustedKeys;
import io.wasminference.testutils.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
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
    void namesAndVersionsThatWouldLeaveTheRootAreRefusedBeforeAnyLookup() throws Exception {
        // A real, valid version outside the repository: what a traversal would reach.
        Path outside = dir.resolve("outside");
        new ModelRepository(outside.toString()).publish(Fixtures.wasm("identity"), List.of(),
                SandboxLimits.defaults());
        ModelRepository repo = new ModelRepository(dir.resolve("repo").toString());
        // Flink's Path turns '\\' into '/' and collapses '..': ROOT/identity/x/../../../outside/identity/1
        for (String version : List.of("x\\..\\..\\..\\outside\\identity\\1", "..", ".", "1/../../x", "a b",
                "1\u0000", "")) {
            assertThatThrownBy(() -> repo.find("identity", version), version)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("invalid model version");
        }
        for (String name : List.of("..\\outside\\identity", "..", "a/b", "x".repeat(65))) {
            assertThatThrownBy(() -> repo.find(name, "1"), name)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("invalid model name");
        }
        assertThat(repo.find("identity", "1")).isEmpty();
    }

    @Test
    void signedVersionsCarryADetachedSignatureOfTheirManifest() throws Exception {
        ModelRepository repo = new ModelRepository(dir.toString());
        KeyPair key = Ed25519Keys.generate();
        TrustedKeys trusted = TrustedKeys.of(List.of(key.getPublic()));
        ModelManifest m = repo.publish(Fixtures.wasm("identity"), List.of(), SandboxLimits.defaults(),
                key.getPrivate());
        Path sig = dir.resolve("identity/1/" + ModelRepository.SIGNATURE_FILE);
        assertThat(ModelSignature.fromJson(Files.readAllBytes(sig)).verifies(key.getPublic(),
                Files.readAllBytes(dir.resolve("identity/1/manifest.json")))).isTrue();
        assertThat(repo.findTrusted("identity", "1", trusted)).contains(m);
        assertThat(repo.signature("identity", "1").orElseThrow().keyId())
                .isEqualTo(Ed25519Keys.keyId(key.getPublic()));
        assertThat(repo.findTrusted("identity", "9", trusted)).isEmpty();

        // published unsigned, signed later by publishing the same bytes with a key
        repo.publish(Fixtures.wasm("identity_v2"), List.of(), SandboxLimits.defaults());
        assertThatThrownBy(() -> repo.findTrusted("identity", "2", trusted))
                .isInstanceOf(ModelRefusedException.class).hasMessageContaining("identity:2 is not signed");
        repo.publish(Fixtures.wasm("identity_v2"), List.of(), SandboxLimits.defaults(), key.getPrivate());
        assertThat(repo.findTrusted("identity", "2", trusted)).isPresent();
    }
}
