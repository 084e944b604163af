package io.wasminference.runtime;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class NativeLibraryTest {
    @TempDir
    Path tmp;

    @Test
    void removesOnlyStaleJniCopiesFromTheTempDirectory() throws Exception {
        Instant now = Instant.now();
        // the names wasmtime-java 0.19.0's loader gives its extracted copies (measured), and ours
        Path oldWasmtime = old(tmp.resolve("libwasmtime_jni_0.19.0_linux_x86_6417323060708399803891.so"), now);
        Path oldOurs = old(tmp.resolve("wasm-inference-wasmtime-jni-123.so"), now);
        Path fresh = Files.writeString(tmp.resolve("libwasmtime_jni_0.19.0_linux_x86_64999.so"), "x");
        Path unrelated = old(tmp.resolve("libother.so"), now);

        assertThat(NativeLibrary.removeStaleCopies(tmp, now.minus(Duration.ofDays(1)))).isEqualTo(2);
        assertThat(oldWasmtime).doesNotExist();
        assertThat(oldOurs).doesNotExist();
        assertThat(fresh).exists();
        assertThat(unrelated).exists();
    }

    @Test
    void noCopyOfTheLibraryExtractedByThisJvmIsLeftBehind() throws Exception {
        NativeLibrary.ensureLoaded();
        // Whoever loaded the library in this JVM (this test or an earlier one), neither our loader nor
        // wasmtime-java's (which would leave an 18 MB file) may have left a copy behind since the JVM started.
        Instant jvmStart = Instant.ofEpochMilli(ManagementFactory.getRuntimeMXBean().getStartTime());
        try (var files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertThat(files.filter(p -> p.getFileName().toString().matches(
                            "(libwasmtime_jni_|wasmtime_jni_|wasm-inference-wasmtime-jni-).*"))
                    .filter(p -> modifiedAfter(p, jvmStart))).isEmpty();
        }
    }

    private static boolean modifiedAfter(Path p, Instant t) {
        try {
            return Files.getLastModifiedTime(p).toInstant().isAfter(t);
        } catch (java.io.IOException e) {
            return false; // deleted meanwhile
        }
    }

    private static Path old(Path p, Instant now) throws Exception {
        Files.writeString(p, "x");
        Files.setLastModifiedTime(p, FileTime.from(now.minus(Duration.ofDays(2))));
        return p;
    }
}
