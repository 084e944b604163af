package io.wasminference.model;

import io.wasminference.abi.ModuleKind;
import io.wasminference.errors.ModelRefusedException;
import io.wasminference.runtime.WasmModel;
import io.wasminference.tvm.TvmModule;
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
 * <p>A module of another {@link ModuleKind} is chosen explicitly: {@code ModelRef.of(location).withKind(
 * ModuleKind.TVM_STANDALONE)} reads a seed-style module (docs/tvm-standalone.md) and attaches its sidecar
 * {@code location + ".tvm.txt"} unless the module carries it already.
 *
 * @param location one of the forms above
 * @param sha256 expected lower-case hex sha256 of the bytes, or {@code null} to accept any content
 * @param kind the contract the module follows; {@code null} means {@link ModuleKind#V1}
 */
@PublicEvolving
public record ModelRef(String location, String sha256, ModuleKind kind) implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Largest model file accepted (wasm32 modules cannot usefully be bigger). */
    public static final long MAX_MODEL_BYTES = 1L << 30;

    private static final String CLASSPATH = "classpath:";

    /** Suffix of the sidecar metadata file of a {@link ModuleKind#TVM_STANDALONE} module. */
    public static final String TVM_SIDECAR_SUFFIX = ".tvm.txt";

    public ModelRef {
        kind = kind == null ? ModuleKind.V1 : kind;
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

    /** An ABI v1 module (or a model file compiled to one) at {@code location}, any content. */
    public ModelRef(String location, String sha256) {
        this(location, sha256, ModuleKind.V1);
    }

    public static ModelRef of(String location) {
        return new ModelRef(location, null);
    }

    /** The same location, pinned to this content hash. */
    public ModelRef withSha256(String expected) {
        return new ModelRef(location, expected, kind);
    }

    /** The same location, read as a module of this kind. */
    public ModelRef withKind(ModuleKind moduleKind) {
        return new ModelRef(location, sha256, moduleKind);
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
        byte[] wasm;
        if (kind == ModuleKind.TVM_STANDALONE) {
            wasm = withTvmSidecar(bytes, true);
        } else {
            wasm = ModelCompilers.isWasm(bytes) ? bytes : ModelCompilers.compile(location, bytes, this::sidecar);
            if (sha256 != null && !WasmModel.sha256(bytes).equals(sha256) && ModelCompilers.isWasm(bytes)
                    && !TvmModule.isTvmStandalone(bytes)) {
                // Restored state pins the module as it ran, a seed-style one with its sidecar attached, and keeps
                // only the location: the pin tells which kind it was.
                byte[] adapted = withTvmSidecar(bytes, false);
                if (adapted != null && WasmModel.sha256(adapted).equals(sha256)) {
                    wasm = adapted;
                }
            }
        }
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
        return sidecar(ModelCompilers.SIDECAR_SUFFIX, "compile options");
    }

    private java.util.Optional<String> sidecar(String suffix, String what) {
        try {
            return java.util.Optional.of(new String(read(location + suffix),
                    java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.io.FileNotFoundException | java.nio.file.NoSuchFileException e) {
            return java.util.Optional.empty();
        } catch (IOException e) {
            throw new ModelRefusedException("cannot read " + what + " " + location + suffix + ": " + e, e);
        }
    }

    /**
     * A seed-style module with its sidecar attached: as it is if it carries one already, else with
     * {@code location + ".tvm.txt"}; when that does not exist, refused if {@code required}, else null.
     */
    private byte[] withTvmSidecar(byte[] bytes, boolean required) {
        if (!ModelCompilers.isWasm(bytes)) {
            if (!required) {
                return null;
            }
            throw new ModelRefusedException("model " + location + " is not a WebAssembly module; a "
                    + ModuleKind.TVM_STANDALONE + " model is the .wasm of TVM's wasm-standalone build");
        }
        if (TvmModule.isTvmStandalone(bytes)) {
            return bytes;
        }
        java.util.Optional<String> text = sidecar(TVM_SIDECAR_SUFFIX, "tvm-standalone metadata");
        if (text.isEmpty()) {
            if (!required) {
                return null;
            }
            throw new ModelRefusedException("model " + location + " is read as " + ModuleKind.TVM_STANDALONE
                    + " but has no metadata: put the sidecar file " + location + TVM_SIDECAR_SUFFIX
                    + " next to it (name, version, max_batch, input, output; docs/tvm-standalone.md)");
        }
        return TvmModule.attach(bytes, text.get());
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
        String k = kind == ModuleKind.V1 ? "" : " (" + kind + ")";
        return (sha256 == null ? location : location + "#sha256=" + sha256.substring(0, 12)) + k;
    }
}
