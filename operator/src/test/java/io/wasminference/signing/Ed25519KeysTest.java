package io.wasminference.signing;

import io.wasminference.errors.ModelRefusedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class Ed25519KeysTest {
    private static final byte[] MANIFEST = "{\"name\": \"m\", \"version\": \"1\", \"sha256\": \"ab\"}\n"
            .getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    @Test
    void keysRoundTripThroughPemAndTheirPublicKeyIsDerived() {
        KeyPair pair = Ed25519Keys.generate();
        PrivateKey priv = Ed25519Keys.readPrivate(Ed25519Keys.toPem(pair.getPrivate()));
        PublicKey pub = Ed25519Keys.readPublic(Ed25519Keys.toPem(pair.getPublic())).get(0);
        assertThat(priv.getEncoded()).isEqualTo(pair.getPrivate().getEncoded());
        assertThat(pub.getEncoded()).isEqualTo(pair.getPublic().getEncoded());
        assertThat(Ed25519Keys.publicOf(priv).getEncoded()).isEqualTo(pair.getPublic().getEncoded());
        assertThat(Ed25519Keys.keyId(pub)).hasSize(16).isEqualTo(Ed25519Keys.keyId(pair.getPublic()));

        ModelSignature sig = ModelSignature.sign(priv, MANIFEST);
        assertThat(sig.keyId()).isEqualTo(Ed25519Keys.keyId(pub));
        assertThat(ModelSignature.fromJson(sig.toJson())).isEqualTo(sig);
        assertThat(sig.verifies(pub, MANIFEST)).isTrue();
        byte[] changed = MANIFEST.clone();
        changed[10] ^= 1;
        assertThat(sig.verifies(pub, changed)).isFalse();
        assertThat(sig.verifies(Ed25519Keys.generate().getPublic(), MANIFEST)).isFalse();
    }

    @Test
    void trustedKeysSayWhyAManifestIsRefused() {
        KeyPair trusted = Ed25519Keys.generate();
        KeyPair other = Ed25519Keys.generate();
        TrustedKeys keys = TrustedKeys.of(List.of(Ed25519Keys.generate().getPublic(), trusted.getPublic()));
        assertThat(keys.verify("m:1", MANIFEST, ModelSignature.sign(trusted.getPrivate(), MANIFEST).toJson()))
                .isEqualTo(Ed25519Keys.keyId(trusted.getPublic()));
        assertThatThrownBy(() -> keys.verify("m:1", MANIFEST, null))
                .isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining("m:1 is not signed");
        assertThatThrownBy(() -> keys.verify("m:1", MANIFEST,
                ModelSignature.sign(other.getPrivate(), MANIFEST).toJson()))
                .hasMessageContaining("m:1 is signed by key '" + Ed25519Keys.keyId(other.getPublic())
                        + "', which is not one of this job's trusted keys");
        byte[] changed = MANIFEST.clone();
        changed[changed.length - 3] = 'c';
        assertThatThrownBy(() -> keys.verify("m:1", changed,
                ModelSignature.sign(trusted.getPrivate(), MANIFEST).toJson()))
                .hasMessageContaining("does not verify with trusted key " + Ed25519Keys.keyId(trusted.getPublic()))
                .hasMessageContaining("changed after it was signed");
        assertThatThrownBy(() -> keys.verify("m:1", MANIFEST, "{\"algorithm\": \"RSA\"}".getBytes()))
                .hasMessageContaining("unreadable signature");
    }

    @Test
    void aPrivateKeyIsNotAcceptedAsATrustedKeyNorTheOtherWayRound() {
        KeyPair pair = Ed25519Keys.generate();
        assertThatThrownBy(() -> Ed25519Keys.readPublic(Ed25519Keys.toPem(pair.getPrivate())))
                .hasMessageContaining("this holds a private key");
        assertThatThrownBy(() -> Ed25519Keys.readPrivate(Ed25519Keys.toPem(pair.getPublic())))
                .hasMessageContaining("this is a public key");
    }

    /** The OpenSSL commands docs/hot-swap.md gives make keys this code reads, and verify what it signs. */
    @Test
    void interoperatesWithOpenssl() throws Exception {
        assumeTrue(run("openssl", "version") == 0, "openssl is not installed");
        Path key = dir.resolve("signing.key");
        Path pub = dir.resolve("signing.pub");
        assertThat(run("openssl", "genpkey", "-algorithm", "ed25519", "-out", key.toString())).isZero();
        assertThat(run("openssl", "pkey", "-in", key.toString(), "-pubout", "-out", pub.toString())).isZero();
        PrivateKey priv = Ed25519Keys.readPrivate(Files.readString(key));
        TrustedKeys trusted = TrustedKeys.read(pub);
        ModelSignature sig = ModelSignature.sign(priv, MANIFEST);
        assertThat(trusted.verify("m:1", MANIFEST, sig.toJson())).isEqualTo(sig.keyId());

        // and OpenSSL verifies the signature over CONTEXT + manifest
        Path message = Files.write(dir.resolve("message"), ModelSignature.message(MANIFEST));
        Path raw = Files.write(dir.resolve("sig.bin"), sig.signature());
        assertThat(run("openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pub.toString(), "-rawin", "-in",
                message.toString(), "-sigfile", raw.toString())).isZero();
        // a key written by keygen is read by openssl
        Path ours = Files.writeString(dir.resolve("ours.key"), Ed25519Keys.toPem(Ed25519Keys.generate().getPrivate()));
        assertThat(run("openssl", "pkey", "-in", ours.toString(), "-noout")).isZero();
    }

    private static int run(String... command) throws Exception {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (java.io.IOException e) {
            return -1;
        }
    }
}
