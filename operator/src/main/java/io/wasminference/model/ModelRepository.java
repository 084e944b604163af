package io.wasminference.model;

import io.wasminference.abi.ModelMetadata;
import io.wasminference.errors.ModelRefusedException;
import io.wasminference.runtime.ModelInstance;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.runtime.WasmModel;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A versioned model repository on any Flink file system: {@code ROOT/NAME/VERSION/model.wasm} plus
 * {@code manifest.json} (docs/hot-swap.md). Published versions are immutable: publishing other bytes under an
 * existing version is refused. Serializable (only the root travels); thread-safe.
 */
public final class ModelRepository implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String MODEL_FILE = "model.wasm";
    public static final String MANIFEST_FILE = "manifest.json";

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
     * name and version its metadata declares.
     *
     * @param golden golden vectors as JSON lines ({@code {"inputs": ..., "outputs": ...}}), may be empty
     * @return the manifest written (or the existing one when these exact bytes were published before)
     * @throws ModelRefusedException when validation fails or the version exists with other bytes
     */
    public ModelManifest publish(byte[] wasm, List<String> golden, SandboxLimits limits) throws IOException {
        ModelMetadata meta;
        String sha;
        try (WasmModel model = WasmModel.load(wasm, limits); ModelInstance instance = model.newInstance()) {
            ModelValidation.checkGolden(instance, golden);
            meta = model.metadata();
            sha = model.sha256();
        }
        Optional<ModelManifest> existing = find(meta.name(), meta.version());
        if (existing.isPresent()) {
            if (existing.get().sha256().equals(sha)) {
                return existing.get();
            }
            throw new ModelRefusedException("the repository already holds " + meta.id() + " with sha256 "
                    + existing.get().sha256() + "; published versions are immutable: give these bytes (sha256 "
                    + sha + ") a new version in their metadata");
        }
        ModelManifest manifest = ModelManifest.of(meta, sha, wasm.length, Instant.now().toString(), golden);
        Path dir = versionDir(meta.name(), meta.version());
        FileSystem fs = dir.getFileSystem();
        fs.mkdirs(dir);
        write(fs, new Path(dir, MODEL_FILE), wasm);
        // The manifest goes last: a version is visible only once complete.
        write(fs, new Path(dir, MANIFEST_FILE), manifest.toJson().getBytes(StandardCharsets.UTF_8));
        return manifest;
    }

    /** The manifest of a version, if published. */
    public Optional<ModelManifest> find(String name, String version) throws IOException {
        Path manifest = new Path(versionDir(name, version), MANIFEST_FILE);
        FileSystem fs = manifest.getFileSystem();
        if (!fs.exists(manifest)) {
            return Optional.empty();
        }
        return Optional.of(ModelManifest.fromJson(read(fs, manifest)));
    }

    /**
     * The reference that loads exactly the published bytes of a version (pinned by its manifest's hash). Its
     * location is an encoded URI, like {@link #root()}: a decoded one ({@code Path.toString()}) is no URI when the
     * root has a space or {@code #} in it.
     */
    public ModelRef ref(ModelManifest manifest) {
        return new ModelRef(new Path(versionDir(manifest.name(), manifest.version()), MODEL_FILE).toUri().toString(),
                manifest.sha256());
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

    private Path versionDir(String name, String version) {
        if (name.contains("/") || version.contains("/") || name.startsWith(".") || version.startsWith(".")) {
            throw new IllegalArgumentException("invalid model name or version: " + name + "/" + version);
        }
        return new Path(new Path(new Path(URI.create(root)), name), version);
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
