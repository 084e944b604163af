package io.wasminference.jobs;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The command-line tool, run in-process. */
class MainTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) throws Exception {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void inspectPrintsTheMetadataAndAnOkVerdict() throws Exception {
        assertThat(run("inspect", "sample:fashion-lenet5")).isZero();
        assertThat(out.toString()).contains("name:        fashion-lenet5", "input:       image u8 28x28",
                "labels:      T-shirt/top, Trouser", "verdict:     OK");
    }

    @Test
    void inspectRefusesAHostileModuleWithExitCode2() throws Exception {
        Path wasm = Path.of("..", "operator", "src", "test", "resources", "wasm", "wasi_import.wasm");
        assertThat(run("inspect", wasm.toString())).isEqualTo(2);
        assertThat(out.toString()).contains("REFUSED before running", "wasi_snapshot_preview1.fd_write");
    }

    @Test
    void predictReportsTheAccuracyOfABundledTestSet() throws Exception {
        assertThat(run("predict", "sample:digits-mlp", "--input", "sample:digits-mlp", "--summary")).isZero();
        assertThat(out.toString()).contains("360 samples, 360 predicted, 0 rejected, 0 failed",
                "accuracy: 354 / 360 = 0.9833");
    }

    @Test
    void keygenMakesTheKeysThatPublishSignsWithAndRunTrusts(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        String prefix = dir.resolve("team").toString();
        assertThat(run("keygen", "--out", prefix)).isZero();
        assertThat(java.nio.file.Files.getPosixFilePermissions(Path.of(prefix + ".key")))
                .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        String keyId = io.wasminference.signing.Ed25519Keys.keyId(io.wasminference.signing.Ed25519Keys.readPublic(
                java.nio.file.Files.readString(Path.of(prefix + ".pub"))).get(0));
        assertThat(out.toString()).contains("key id " + keyId);
        assertThat(run("keygen", "--out", prefix)).as("never overwrites a key").isEqualTo(64);
        assertThat(err.toString()).contains("team.key exists");

        String repo = dir.resolve("repo").toString();
        assertThat(run("publish", "--repo", repo, "sample:digits-mlp", "--sign-key", prefix + ".key")).isZero();
        assertThat(out.toString()).contains("published digits-mlp:1.0.0", "signed by key " + keyId);
        assertThat(run("models", "--repo", repo)).isZero();
        assertThat(out.toString()).contains("signed " + keyId);
        assertThat(new io.wasminference.model.ModelRepository(repo).findTrusted("digits-mlp", "1.0.0",
                io.wasminference.signing.TrustedKeys.read(Path.of(prefix + ".pub")))).isPresent();

        assertThat(run("publish", "--repo", repo, "sample:digits-mlp", "--sign-key", prefix + ".pub"))
                .isEqualTo(64);
        assertThat(err.toString()).contains("this is a public key: signing needs the private one");
    }

    @Test
    void usageErrorsExitWith64() throws Exception {
        assertThat(run("predict", "sample:digits-mlp")).isEqualTo(64);
        assertThat(err.toString()).contains("missing required option --input", "usage:");
        assertThat(run("frobnicate")).isEqualTo(64);
    }
}
