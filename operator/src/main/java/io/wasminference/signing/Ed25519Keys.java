package io.wasminference.signing;

import org.apache.flink.annotation.PublicEvolving;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ed25519 keys with the JDK's own provider (no BouncyCastle), in the PEM files OpenSSL writes: a private key is
 * {@code -----BEGIN PRIVATE KEY-----} (PKCS#8), a public key {@code -----BEGIN PUBLIC KEY-----} (X.509
 * SubjectPublicKeyInfo). {@code openssl genpkey -algorithm ed25519 -out signing.key} and {@code openssl pkey -in
 * signing.key -pubout -out signing.pub} make files this class reads, and the files it writes are read by OpenSSL.
 */
@PublicEvolving
public final class Ed25519Keys {
    public static final String ALGORITHM = "Ed25519";
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)-----END \\1-----");

    private Ed25519Keys() {}

    /** A new key pair from the JDK's default strong randomness. */
    public static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no " + ALGORITHM + " (it is built into Java 15 and later)", e);
        }
    }

    /** The private key of a PEM {@code PRIVATE KEY} block. */
    public static PrivateKey readPrivate(String pem) {
        List<byte[]> blocks = blocks(pem, "PRIVATE KEY");
        if (blocks.size() != 1) {
            throw new IllegalArgumentException("expected one PEM 'PRIVATE KEY' block (an Ed25519 key as written by "
                    + "'wasm-inference keygen' or 'openssl genpkey -algorithm ed25519'), found " + blocks.size()
                    + (pem.contains("BEGIN PUBLIC KEY") ? " (this is a public key: signing needs the private one)"
                            : ""));
        }
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(blocks.get(0)));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the PRIVATE KEY block is not an Ed25519 key: " + e.getMessage(), e);
        }
    }

    /** Every public key of the PEM {@code PUBLIC KEY} blocks in {@code pem}, in order; at least one. */
    public static List<PublicKey> readPublic(String pem) {
        List<byte[]> blocks = blocks(pem, "PUBLIC KEY");
        if (blocks.isEmpty()) {
            throw new IllegalArgumentException("no PEM 'PUBLIC KEY' block found (an Ed25519 public key as written by "
                    + "'wasm-inference keygen' or 'openssl pkey -in KEY -pubout')"
                    + (pem.contains("PRIVATE KEY") ? "; this holds a private key, which must stay with the publisher"
                            : ""));
        }
        List<PublicKey> keys = new ArrayList<>();
        for (byte[] b : blocks) {
            keys.add(publicKey(b));
        }
        return keys;
    }

    /** The public key of its X.509 encoding. */
    public static PublicKey publicKey(byte[] x509) {
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(x509));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("a PUBLIC KEY block is not an Ed25519 key: " + e.getMessage(), e);
        }
    }

    /**
     * The public key that belongs to {@code key}. The JDK has no call for it, but its key-pair generator derives
     * the public key from 32 bytes of randomness: handed exactly the private key's bytes, it rebuilds the pair.
     * Checked against the original, so a different generator fails loudly instead of naming a wrong key.
     */
    public static PublicKey publicOf(PrivateKey key) {
        byte[] seed = ((EdECPrivateKey) key).getBytes().orElseThrow(
                () -> new IllegalArgumentException("the private key's bytes are not accessible"));
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance(ALGORITHM);
            g.initialize(255, new FixedRandom(seed));
            KeyPair pair = g.generateKeyPair();
            if (!Arrays.equals(pair.getPrivate().getEncoded(), key.getEncoded())) {
                throw new IllegalStateException("could not derive the public key of an Ed25519 private key");
            }
            return pair.getPublic();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("could not derive the public key of an Ed25519 private key", e);
        }
    }

    /** A short, stable name of a public key: the first 16 hex digits of the sha256 of its X.509 encoding. */
    public static String keyId(PublicKey key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getEncoded()), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** PEM text of a key ({@code PRIVATE KEY} or {@code PUBLIC KEY}). */
    public static String toPem(java.security.Key key) {
        String type = key instanceof PrivateKey ? "PRIVATE KEY" : "PUBLIC KEY";
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded())
                + "\n-----END " + type + "-----\n";
    }

    private static List<byte[]> blocks(String pem, String type) {
        List<byte[]> out = new ArrayList<>();
        Matcher m = PEM.matcher(pem);
        while (m.find()) {
            if (m.group(1).equals(type)) {
                try {
                    out.add(Base64.getMimeDecoder().decode(m.group(2)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("a PEM '" + type + "' block is not valid base64", e);
                }
            }
        }
        return out;
    }

    /** Hands out exactly the given bytes once (see {@link #publicOf}). */
    private static final class FixedRandom extends SecureRandom {
        private static final long serialVersionUID = 1L;
        private byte[] bytes;

        FixedRandom(byte[] bytes) {
            this.bytes = bytes.clone();
        }

        @Override
        public void nextBytes(byte[] out) {
            if (bytes == null || out.length != bytes.length) {
                throw new IllegalStateException("unexpected request for " + out.length + " random bytes");
            }
            System.arraycopy(bytes, 0, out, 0, out.length);
            bytes = null;
        }
    }
}
