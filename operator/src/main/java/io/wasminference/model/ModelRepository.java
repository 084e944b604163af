package io.wasminference.model;

import io.wasminference.abi.MetadataParser;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.ModuleKind;
import io.wasminference.errors.ModelRefusedException;
import io.wasminference.predict.Predictor;
import io.wasminference.predict.PredictorConfig;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.signing.ModelSignature;
import io.wasminference.signing.TrustedKeys;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import java.io.File;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A versioned model repository on any Flink file system: {@code ROOT/NAME/VERSION/model.wasm} plus
 * {@code manifest.json} and, when signed, {@code manifest.json.sig} (docs/hot-swap.md). Published versions are
 * immutable: publishing other bytes under an existing version is refused. Serializable (only the root travels);
 * thread-safe.
 */
@PublicEvolving
public final class ModelRepository implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String MODEL_FILE = "model.wasm";
    public static final String MANIFEST_FILE = "manifest.json";
    /** Detached signature of the manifest, written by {@code publish --sign-key} (see {@link ModelSignature}). */
    public static final String SIGNATURE_FILE = "manifest.json.sig";

    private final String root;

    /** @param root a directory: a local path or any URI Flink's FileSystem knows ({@code s3://bucket/models}) */
    public ModelRepository(String root) {
        this.root = ModelRef.hasScheme(root) ? root : new File(root).toURI().toString();
    }

    public String root() {
        return root;
    }

    /**
     * Validates a module (static checks, compilation, instantiation, golden vectors) and publishes it under the
     * name and version its metadata declares. A {@link ModuleKind#TVM_STANDALONE} module is published with its
     * sidecar attached (so model.wasm describes itself) and {@code "kind": "tvm-standalone"} in its manifest.
     *
     * @param golden golden vectors as JSON lines ({@code {"inputs": ..., "outputs": ...}}), may be empty
     * @return the manifest written (or the existing one when these exact bytes were published before)
     * @throws ModelRefusedException when validation fails or the version exists with other bytes
     */
    public ModelManifest publish(byte[] wasm, List<String> golden, SandboxLimits limits) throws IOException {
        return publish(wasm, golden, limits, null);
    }

    /**
     * Like {@link #publish(byte[], List, SandboxLimits)}, and signs the manifest with {@code signKey} (when not
     * null): {@code manifest.json.sig} is written before the manifest, so a signed version is never visible
     * unsigned. Publishing bytes that are already published with a key adds (or replaces) their signature.
     */
    public ModelManifest publish(byte[] wasm, List<String> golden, SandboxLimits limits, PrivateKey signKey)
            throws IOException {
        ModelMetadata meta;
        String sha;
        ModuleKind kind;
        try (Predictor candidate = Predictor.create(wasm, "(candidate for " + root + ")", PredictorConfig.of(limits),
                m -> { })) {
            candidate.checkGolden(golden);
            meta = candidate.metadata();
            sha = candidate.sha256();
            kind = candidate.kind();
        }
        Path dir = versionDir(meta.name(), meta.version());
        FileSystem fs = dir.getFileSystem();
        Optional<byte[]> existingBytes = readIfExists(new Path(dir, MANIFEST_FILE));
        if (existingBytes.isPresent()) {
            ModelManifest existing = parse(existingBytes.get(), meta.name(), meta.version(), dir);
            if (!existing.sha256().equals(sha)) {
                throw new ModelRefusedException("the repository already holds " + meta.id() + " with sha256 "
                        + existing.sha256() + "; published versions are immutable: give these bytes (sha256 " + sha
                        + ") a new version in their metadata");
            }
            if (signKey != null) {
                write(fs, new Path(dir, SIGNATURE_FILE), ModelSignature.sign(signKey, existingBytes.get()).toJson());
            }
            return existing;
        }
        ModelManifest manifest = ModelManifest.of(meta, sha, wasm.length, Instant.now().toString(), golden, kind);
        byte[] manifestBytes = manifest.toJson().getBytes(StandardCharsets.UTF_8);
        fs.mkdirs(dir);
        write(fs, new Path(dir, MODEL_FILE), wasm);
        if (signKey != null) {
            write(fs, new Path(dir, SIGNATURE_FILE), ModelSignature.sign(signKey, manifestBytes).toJson());
        }
        // The manifest goes last: a version is visible only once complete.
        write(fs, new Path(dir, MANIFEST_FILE), manifestBytes);
        return manifest;
    }

    /** The manifest of a version, if published. Its signature, if any, is not checked. */
    public Optional<ModelManifest> find(String name, String version) throws IOException {
        Path dir = versionDir(name, version);
        Optional<byte[]> bytes = readIfExists(new Path(dir, MANIFEST_FILE));
        return bytes.isEmpty() ? Optional.empty() : Optional.of(parse(bytes.get(), name, version, dir));
    }

    /**
     * The manifest of a version, if published, once its signature verifies with one of {@code trusted}: the
     * signature is checked over the very bytes that are then parsed.
     *
     * @throws ModelRefusedException when the version is unsigned, signed by another key, or changed since signed
     */
    public Optional<ModelManifest> findTrusted(String name, String version, TrustedKeys trusted) throws IOException {
        Path dir = versionDir(name, version);
        Optional<byte[]> bytes = readIfExists(new Path(dir, MANIFEST_FILE));
        if (bytes.isEmpty()) {
            return Optional.empty();
        }
        trusted.verify(name + ":" + version, bytes.get(), readIfExists(new Path(dir, SIGNATURE_FILE)).orElse(null));
        return Optional.of(parse(bytes.get(), name, version, dir));
    }

    /** The signature stored with a version, if any (not verified). */
    public Optional<ModelSignature> signature(String name, String version) throws IOException {
        Optional<byte[]> bytes = readIfExists(new Path(versionDir(name, version), SIGNATURE_FILE));
        return bytes.isEmpty() ? Optional.empty() : Optional.of(ModelSignature.fromJson(bytes.get()));
    }

    private static ModelManifest parse(byte[] bytes, String name, String version, Path dir) throws IOException {
        ModelManifest m = ModelManifest.fromJson(bytes);
        if (!m.name().equals(name) || !m.version().equals(version)) {
            throw new IOException(new Path(dir, MANIFEST_FILE) + " describes " + m.name() + ":" + m.version()
                    + ", not " + name + ":" + version + "; the repository is corrupt or was written by hand");
        }
        return m;
    }

    private static Optional<byte[]> readIfExists(Path path) throws IOException {
        FileSystem fs = path.getFileSystem();
        return fs.exists(path) ? Optional.of(read(fs, path)) : Optional.empty();
    }

    /**
     * The reference that loads exactly the published bytes of a version (pinned by its manifest's hash). Its
     * location is an encoded URI, like {@link #root()}: a decoded one ({@code Path.toString()}) is no URI when the
     * root has a space or {@code #} in it.
     */
    public ModelRef ref(ModelManifest manifest) {
        return new ModelRef(new Path(versionDir(manifest.name(), manifest.version()), MODEL_FILE).toUri().toString(),
                manifest.sha256(), manifest.kind());
    }

    /** Every published version, by name then publication time. */
    public List<ModelManifest> list() throws IOException {
        Path rootPath = new Path(URI.create(root));
        FileSystem fs = rootPath.getFileSystem();
        List<ModelManifest> out = new ArrayList<>();
        if (!fs.exists(rootPath)) {
            return out;
        }
        for (FileStatus name : fs.listStatus(rootPath)) {
            if (!name.isDir()) {
                continue;
            }
            for (FileStatus version : fs.listStatus(name.getPath())) {
                Path manifest = new Path(version.getPath(), MANIFEST_FILE);
                if (version.isDir() && fs.exists(manifest)) {
                    out.add(ModelManifest.fromJson(read(fs, manifest)));
                }
            }
        }
        out.sort(Comparator.comparing(ModelManifest::name).thenComparing(ModelManifest::created));
        return out;
    }

    /**
     * {@code ROOT/NAME/VERSION}, refusing a name or version that is not one metadata can declare, or that names a
     * directory ({@code .}, {@code ..}, or a leading dot), before the file system is touched: both come from the
     * control topic, and Flink's {@code Path} turns {@code \\} into {@code /} and collapses {@code ..}, so
     * {@code x\\..\\..\\outside} would otherwise leave the root. The resolved directory is checked to lie
     * under the root as well.
     */
    private Path versionDir(String name, String version) {
        checkName(name, version);
        Path rootPath = new Path(URI.create(root));
        Path dir = new Path(new Path(rootPath, name), version);
        String rootDir = rootPath.toUri().normalize().getPath().replaceFirst("/*$", "/");
        if (!dir.toUri().normalize().getPath().startsWith(rootDir)) {
            throw new IllegalArgumentException("model " + name + ":" + version + " resolves to " + dir
                    + ", outside the repository " + root);
        }
        return dir;
    }

    /** Refuses a model name or version metadata could not declare, or one that is a relative directory. */
    static void checkName(String name, String version) {
        if (!MetadataParser.isModelName(name) || name.startsWith(".")) {
            throw new IllegalArgumentException("invalid model name '" + name + "': a name is 1 to 64 of A-Z a-z "
                    + "0-9 . _ - and does not start with '.' (docs/abi.md)");
        }
        if (!MetadataParser.isModelVersion(version) || version.startsWith(".")) {
            throw new IllegalArgumentException("invalid model version '" + version + "' of " + name + ": a "
                    + "version is 1 to 64 of A-Z a-z 0-9 . _ + - and does not start with '.' (docs/abi.md)");
        }
    }

    private static void write(FileSystem fs, Path path, byte[] bytes) throws IOException {
        try (FSDataOutputStream out = fs.create(path, FileSystem.WriteMode.OVERWRITE)) {
            out.write(bytes);
        }
    }

    private static byte[] read(FileSystem fs, Path path) throws IOException {
        try (FSDataInputStream in = fs.open(path)) {
            return in.readAllBytes();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    @Override
    public String toString() {
        return "ModelRepository(" + root + ")";
    }
}
