package io.wasminference.signing;

import io.wasminference.errors.ModelRefusedException;
import org.apache.flink.annotation.PublicEvolving;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;

/**
 * The public keys a job accepts model signatures from ({@code --trusted-keys}). Serializable: the job's client
 * reads the file, and the keys travel in the job graph, so TaskManagers need no copy of it. Immutable.
 */
@PublicEvolving
public final class TrustedKeys implements Serializable {
    private static final long serialVersionUID = 1L;

    /** X.509 encodings: what serializes, whatever provider the keys came from. */
    private final List<byte[]> encoded;
    private transient List<PublicKey> keys;

    private TrustedKeys(List<byte[]> encoded) {
        if (encoded.isEmpty()) {
            throw new IllegalArgumentException("trusted keys must hold at least one key");
        }
        this.encoded = List.copyOf(encoded);
    }

    public static TrustedKeys of(List<PublicKey> keys) {
        List<byte[]> enc = new ArrayList<>();
        for (PublicKey k : keys) {
            enc.add(Ed25519Keys.publicKey(k.getEncoded()).getEncoded()); // checks it is Ed25519
        }
        return new TrustedKeys(enc);
    }

    /** The keys of a PEM file holding one or more {@code PUBLIC KEY} blocks ({@code cat a.pub b.pub > trusted.pem}). */
    public static TrustedKeys read(Path pemFile) throws IOException {
        try {
            return of(Ed25519Keys.readPublic(Files.readString(pemFile, StandardCharsets.US_ASCII)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(pemFile + ": " + e.getMessage(), e);
        }
    }

    /** The keys' ids ({@link Ed25519Keys#keyId}), in file order. */
    public List<String> ids() {
        return keys().stream().map(Ed25519Keys::keyId).toList();
    }

    /**
     * Refuses a manifest unless {@code signatureFile} holds a signature of exactly these bytes by one of the
     * trusted keys.
     *
     * @param what the version, for messages ({@code name:version})
     * @param signatureFile the bytes of {@code manifest.json.sig}, or null when there is none
     * @return the id of the key that signed it
     * @throws ModelRefusedException saying whether the version is unsigned, signed by another key, or signed by a
     *     trusted key but changed since
     */
    public String verify(String what, byte[] manifest, byte[] signatureFile) {
        if (signatureFile == null) {
            throw new ModelRefusedException(what + " is not signed (no manifest.json.sig next to its manifest), and "
                    + "this job deploys only versions signed by one of its trusted keys " + ids() + ": publish it "
                    + "with --sign-key");
        }
        ModelSignature sig;
        try {
            sig = ModelSignature.fromJson(signatureFile);
        } catch (IllegalArgumentException e) {
            throw new ModelRefusedException(what + " has an unreadable signature: " + e.getMessage());
        }
        for (PublicKey k : keys()) {
            if (sig.verifies(k, manifest)) {
                return Ed25519Keys.keyId(k);
            }
        }
        if (ids().contains(sig.keyId())) {
            throw new ModelRefusedException("the signature of " + what + " does not verify with trusted key "
                    + sig.keyId() + " that it names: its manifest was changed after it was signed, or the signature "
                    + "is forged");
        }
        throw new ModelRefusedException(what + " is signed by key '" + sig.keyId() + "', which is not one of this "
                + "job's trusted keys " + ids() + " (--trusted-keys)");
    }

    private List<PublicKey> keys() {
        if (keys == null) {
            keys = encoded.stream().map(Ed25519Keys::publicKey).toList();
        }
        return keys;
    }

    @Override
    public String toString() {
        return "TrustedKeys" + ids();
    }
}
