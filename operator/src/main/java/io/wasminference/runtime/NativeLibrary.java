package io.wasminference.runtime;

import io.github.kawamuray.wasmtime.NativeLibraryLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * Loads wasmtime-java's JNI library without leaving an 18 MB file in the temp directory for every JVM and every
 * class loader, which is what wasmtime-java's own loader does.
 *
 * <p>Order: (1) the library is already loaded for wasmtime-java's class loader; (2) {@code wasmtime_jni} on
 * {@code java.library.path}; (3) when wasmtime-java sits in the same class loader as this class (a fat job jar),
 * extract the bundled library to a temp file, load it and delete the file at once (the mapping stays valid on
 * Linux and macOS); (4) otherwise (wasmtime-java in Flink's {@code lib/}, loaded parent-first) wasmtime-java's
 * own loader, once per JVM. It also removes copies that wasmtime-java's loader left behind more than a day ago:
 * a loaded library does not need its file any more.
 */
final class NativeLibrary {
    private static final Logger LOG = LoggerFactory.getLogger(NativeLibrary.class);
    private static final String LIB_VERSION = "0.19.0";
    private static final Duration STALE_AFTER = Duration.ofDays(1);

    /** Guarded by the class monitor; per class loader by nature of statics. */
    private static boolean loaded;

    private NativeLibrary() {}

    static synchronized void ensureLoaded() {
        if (loaded) {
            return;
        }
        if (!wasmtimeThinksLoaded()) {
            if (NativeLibraryLoader.class.getClassLoader() == NativeLibrary.class.getClassLoader()
                    && System.getenv("WASMTIME_JNI_LOAD_DISABLED") == null) {
                loadOurselves();
            } else {
                NativeLibraryLoader.load();
            }
        }
        removeStaleCopies(Path.of(System.getProperty("java.io.tmpdir")), Instant.now().minus(STALE_AFTER));
        loaded = true;
    }

    private static void loadOurselves() {
        try {
            System.loadLibrary("wasmtime_jni");
            LOG.info("Loaded wasmtime_jni from java.library.path");
        } catch (UnsatisfiedLinkError notOnPath) {
            String resource = resourceName();
            Path tmp = null;
            try (InputStream in = NativeLibraryLoader.class.getResourceAsStream("/" + resource)) {
                if (in == null) {
                    throw new UnsatisfiedLinkError("wasmtime-java " + LIB_VERSION + " has no JNI library for this "
                            + "platform (" + resource + "); supported: linux/macos x86_64 and aarch64 (glibc), "
                            + "windows x86_64");
                }
                tmp = Files.createTempFile("wasm-inference-wasmtime-jni-", libSuffix());
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                System.load(tmp.toAbsolutePath().toString());
                LOG.info("Loaded wasmtime JNI library {} from the wasmtime-java jar", resource);
            } catch (IOException e) {
                throw new IllegalStateException("cannot extract the wasmtime JNI library to "
                        + System.getProperty("java.io.tmpdir") + ": " + e.getMessage()
                        + "; check that java.io.tmpdir is writable, or put libwasmtime_jni on java.library.path", e);
            } finally {
                deleteQuietly(tmp);
            }
        }
        markWasmtimeLoaded();
    }

    private static boolean wasmtimeThinksLoaded() {
        try {
            Field f = NativeLibraryLoader.class.getDeclaredField("loaded");
            f.setAccessible(true);
            return f.getBoolean(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    /** Stops wasmtime-java's static initializers from extracting and loading a second copy. */
    private static void markWasmtimeLoaded() {
        try {
            Field f = NativeLibraryLoader.class.getDeclaredField("loaded");
            f.setAccessible(true);
            f.setBoolean(null, true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("Cannot mark wasmtime-java's JNI library as loaded ({}); it may extract another copy", e.toString());
        }
    }

    /**
     * Deletes the copies wasmtime-java's own loader extracted ({@code libwasmtime_jni_0.19.0_<platform><random>.so},
     * or {@code wasmtime_jni_...dll}) and this class's, when older than {@code cutoff}. Safe while other JVMs run:
     * a loaded library stays mapped after its file is deleted.
     *
     * @return how many files were deleted
     */
    static int removeStaleCopies(Path dir, Instant cutoff) {
        int removed = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir,
                "{libwasmtime_jni_,wasmtime_jni_,wasm-inference-wasmtime-jni-}*")) {
            for (Path p : files) {
                FileTime modified = Files.getLastModifiedTime(p);
                if (Files.isRegularFile(p) && modified.toInstant().isBefore(cutoff)) {
                    Files.deleteIfExists(p);
                    removed++;
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("Could not scan {} for stale wasmtime JNI copies: {}", dir, e.toString());
        }
        if (removed > 0) {
            LOG.info("Removed {} stale wasmtime JNI copies older than {} from {}", removed, cutoff, dir);
        }
        return removed;
    }

    private static String resourceName() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        String a = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64"
                : arch.equals("aarch64") || arch.equals("arm64") ? "aarch64" : arch;
        if (os.contains("win")) {
            return "wasmtime_jni_" + LIB_VERSION + "_windows_" + a + ".dll";
        }
        String o = os.contains("mac") ? "macos" : "linux";
        return "libwasmtime_jni_" + LIB_VERSION + "_" + o + "_" + a + (o.equals("macos") ? ".dylib" : ".so");
    }

    private static String libSuffix() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        return os.contains("win") ? ".dll" : os.contains("mac") ? ".dylib" : ".so";
    }

    private static void deleteQuietly(Path p) {
        if (p == null) {
            return;
        }
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // Windows keeps a loaded DLL locked: fall back to deletion at exit.
            p.toFile().deleteOnExit();
        }
    }
}
