package io.wasminference.runtime;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
    void loadingLeavesNoCopyOfTheLibraryBehind() throws Exception {
        NativeLibrary.ensureLoaded();
        try (var files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertThat(files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("wasm-inference-wasmtime-jni-"))).isEmpty();
        }
    }

    private static Path old(Path p, Instant now) throws Exception {
        Files.writeString(p, "x");
        Files.setLastModifiedTime(p, FileTime.from(now.minus(Duration.ofDays(2))));
        return p;
    }
}
