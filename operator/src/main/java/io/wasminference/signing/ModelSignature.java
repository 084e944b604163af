package io.wasminference.signing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.annotation.PublicEvolving;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;
import java.util.Objects;

/**
 * A detached Ed25519 signature of one published version's {@code manifest.json}, stored next to it as
 * {@code manifest.json.sig} (docs/hot-swap.md). The manifest names the module's sha256, and a job loads the module
 * pinned to that hash, so the signature covers the module bytes, the metadata summary and the golden vectors.
 *
 * <p>What is signed: the bytes of {@value #CONTEXT} (a newline-terminated ASCII line, so a signature made for
 * something else is never mistaken for one of a manifest) followed by the exact bytes of {@code manifest.json}.
 *
 * @param keyId {@link Ed25519Keys#keyId} of the signer's public key (informative: verification tries every trusted
 *     key)
 * @param signature the 64-byte Ed25519 signature
 */
@PublicEvolving
public record ModelSignature(String keyId, byte[] signature) {
    /** The line signed before the manifest bytes. */
    public static final String CONTEXT = "wasm-inference manifest signature v1\n";
    private static final ObjectMapper JSON = new ObjectMapper();

    public ModelSignature {
        Objects.requireNonNull(keyId, "keyId");
        signature = signature.clone();
    }

    /** Signs a manifest with {@code key}. */
    public static ModelSignature sign(PrivateKey key, byte[] manifest) {
        try {
            Signature s = Signature.getInstance(Ed25519Keys.ALGORITHM);
            s.initSign(key);
            s.update(message(manifest));
            return new ModelSignature(Ed25519Keys.keyId(Ed25519Keys.publicOf(key)), s.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot sign with this key: " + e.getMessage(), e);
        }
    }

    /** Whether this signature of {@code manifest} was made with the private key of {@code key}. */
    public boolean verifies(PublicKey key, byte[] manifest) {
        try {
            Signature s = Signature.getInstance(Ed25519Keys.ALGORITHM);
            s.initVerify(key);
            s.update(message(manifest));
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false; // a malformed signature verifies with no key
        }
    }

    /** The bytes an Ed25519 signature of {@code manifest} is made over. */
    public static byte[] message(byte[] manifest) {
        byte[] context = CONTEXT.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[context.length + manifest.length];
        System.arraycopy(context, 0, out, 0, context.length);
        System.arraycopy(manifest, 0, out, context.length, manifest.length);
        return out;
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /** {@code {"algorithm": "Ed25519", "key_id": "...", "signature": "BASE64"}}. */
    public byte[] toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("algorithm", Ed25519Keys.ALGORITHM).put("key_id", keyId)
                .put("signature", Base64.getEncoder().encodeToString(signature));
        try {
            return (JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n")
                    .getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads {@link #toJson()}; the message says what is wrong with a file that is not one. */
    public static ModelSignature fromJson(byte[] json) {
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("signature file is not JSON: " + e.getMessage());
        }
        if (n == null || !Ed25519Keys.ALGORITHM.equals(n.path("algorithm").asText())
                || !n.path("signature").isTextual()) {
            throw new IllegalArgumentException("signature file must be {\"algorithm\": \"Ed25519\", \"key_id\": ..., "
                    + "\"signature\": BASE64}");
        }
        try {
            return new ModelSignature(n.path("key_id").asText(""),
                    Base64.getDecoder().decode(n.get("signature").asText()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("signature file's 'signature' is not base64", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelSignature m && keyId.equals(m.keyId)
                && java.util.Arrays.equals(signature, m.signature);
    }

    @Override
    public int hashCode() {
        return keyId.hashCode() * 31 + java.util.Arrays.hashCode(signature);
    }

    @Override
    public String toString() {
        return "ModelSignature(Ed25519, key " + keyId + ")";
    }
}
