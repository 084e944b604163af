package io.wasminference.model;

import io.wasminference.errors.ModelRefusedException;
import io.wasminference.runtime.WasmModel;
import org.apache.flink.annotation.PublicEvolving;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a model's {@code .wasm} lives, and optionally the sha256 its bytes must have. Serializable: a job graph
 * carries the reference, each TaskManager loads the bytes itself.
 *
 * <ul>
 *   <li>{@code classpath:samples/fashion-lenet5/model.wasm}: a resource of the job's class loader;</li>
 *   <li>{@code /models/m.wasm} or {@code models/m.wasm}: a local file;</li>
 *   <li>{@code file:///models/m.wasm}, {@code s3://bucket/m.wasm}, {@code hdfs://nn/m.wasm}, ...: any file system
 *       Flink knows, through Flink's {@code FileSystem} API (with its plugins and credentials).</li>
 * </ul>
 *
 * @param location one of the forms above
 * @param sha256 expected lower-case hex sha256 of the bytes, or {@code null} to accept any content
 */
@PublicEvolving
public record ModelRef(String location, String sha256) implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Largest model file accepted (wasm32 modules cannot usefully be bigger). */
    public static final long MAX_MODEL_BYTES = 1L << 30;

    private static final String CLASSPATH = "classpath:";

    public ModelRef {
        Objects.requireNonNull(location, "location");
        if (location.isBlank()) {
            throw new IllegalArgumentException("model location is empty");
        }
        if (sha256 != null) {
            sha256 = sha256.toLowerCase(Locale.ROOT);
            if (!sha256.matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException("sha256 '" + sha256 + "' is not 64 hex digits");
            }
        }
    }

    public static ModelRef of(String location) {
        return new ModelRef(location, null);
    }

    /** The same location, pinned to this content hash. */
    public ModelRef withSha256(String expected) {
        return new ModelRef(location, expected);
    }

    public Optional<String> expectedSha256() {
        return Optional.ofNullable(sha256);
    }

    /**
     * Reads the module and checks the hash when one is pinned. A file in another format (an ONNX model) is
     * compiled on load by a {@link ModelCompiler} on the classpath, with the compile options of its sidecar file
     * {@code location + ".compile"} if there is one; a pinned hash then matches either the file or the compiled
     * module (restored state pins the module).
     *
     * @return the bytes of an ABI v1 module (not yet validated)
     * @throws ModelRefusedException when the bytes cannot be read, cannot be compiled, or their hash differs
     */
    public byte[] load() {
        byte[] bytes;
        try {
            bytes = read(location);
        } catch (IOException e) {
            throw new ModelRefusedException("cannot read model " + location + ": " + e, e);
        }
        byte[] wasm = ModelCompilers.isWasm(bytes) ? bytes : ModelCompilers.compile(location, bytes, this::sidecar);
        if (sha256 != null) {
            String actual = WasmModel.sha256(bytes);
            if (!actual.equals(sha256) && (wasm == bytes || !WasmModel.sha256(wasm).equals(sha256))) {
                throw new ModelRefusedException("model " + location + " has sha256 " + actual
                        + (wasm == bytes ? "" : " (compiled: " + WasmModel.sha256(wasm) + ")") + " but " + sha256
                        + " was expected: the file changed since it was pinned. Deploy the expected file or pin "
                        + "the new hash.");
            }
        }
        return wasm;
    }

    /** The sidecar file's text, if it exists. */
    private java.util.Optional<String> sidecar() {
        try {
            return java.util.Optional.of(new String(read(location + ModelCompilers.SIDECAR_SUFFIX),
                    java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.io.FileNotFoundException | java.nio.file.NoSuchFileException e) {
            return java.util.Optional.empty();
        } catch (IOException e) {
            throw new ModelRefusedException("cannot read compile options " + location + ModelCompilers.SIDECAR_SUFFIX
                    + ": " + e, e);
        }
    }

    private static byte[] read(String location) throws IOException {
        if (location.startsWith(CLASSPATH)) {
            String resource = location.substring(CLASSPATH.length()).replaceFirst("^/+", "");
            ClassLoader cl = Thread.currentThread().getContextClassLoader();
            if (cl == null) {
                cl = ModelRef.class.getClassLoader();
            }
            try (InputStream in = cl.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new java.io.FileNotFoundException("no classpath resource '" + resource + "' (is the jar "
                            + "that holds it on the job's classpath?)");
                }
                return readBounded(in);
            }
        }
        URI uri = schemeOf(location);
        if (uri == null) {
            Path p = Path.of(location);
            if (Files.size(p) > MAX_MODEL_BYTES) {
                throw new IOException("file is larger than " + MAX_MODEL_BYTES + " bytes");
            }
            return Files.readAllBytes(p);
        }
        return FlinkFileSystemReader.read(uri, MAX_MODEL_BYTES);
    }

    /**
     * The URI of a location with a scheme, else null. An encoded URI ({@code file:/a%20b/m.wasm}) is taken as
     * such; one that is not a valid URI or that would carry a fragment or query ({@code file:/a b/m.wasm},
     * {@code file:/models #2/m.wasm}: a model location has neither) is read as Flink reads paths, character for
     * character.
     */
    static URI schemeOf(String location) {
        if (!hasScheme(location)) {
            return null;
        }
        try {
            URI uri = new URI(location);
            if (uri.getRawFragment() == null && uri.getRawQuery() == null) {
                return uri;
            }
        } catch (URISyntaxException e) {
            // not encoded: below
        }
        return new org.apache.flink.core.fs.Path(location).toUri();
    }

    /** Whether a location is a URI ({@code s3://...}, {@code file:...}) rather than a plain or Windows path. */
    static boolean hasScheme(String location) {
        // A Windows drive letter has a one-letter "scheme"; real ones have two or more.
        return location.matches("^[A-Za-z][A-Za-z0-9+.-]+:.*");
    }

    static byte[] readBounded(InputStream in) throws IOException {
        byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, MAX_MODEL_BYTES + 1));
        if (bytes.length > MAX_MODEL_BYTES) {
            throw new IOException("model is larger than " + MAX_MODEL_BYTES + " bytes");
        }
        return bytes;
    }

    @Override
    public String toString() {
        return sha256 == null ? location : location + "#sha256=" + sha256.substring(0, 12);
    }
}
