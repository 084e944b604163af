package io.wasminference.jobs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code --abi tvm-standalone} on inspect and predict (docs/tvm-standalone.md), run in-process. */
class TvmCommandsTest {
    private static final Path FIXTURES = Path.of("../operator/src/test/resources/wasm");
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) throws Exception {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void inspectShowsTheKindTheImportsAndTheVerdict() throws Exception {
        assertThat(run("inspect", "sample:digits-mlp", "--abi", "tvm-standalone")).isZero();
        assertThat(out.toString()).contains("abi:         tvm-standalone",
                "import:      func wasi_snapshot_preview1.fd_write (i32, i32, i32, i32) -> (i32)  (host stub)",
                "import:      func wasi_snapshot_preview1.proc_exit (i32) -> ()  (host stub)",
                "no declared maximum; capped at 4096 pages (256 MiB) in the binary", "verdict:     OK");
    }

    @Test
    void inspectRefusesAnImportOutsideTheFiveByName(@TempDir Path dir) throws Exception {
        Path wasm = Files.copy(FIXTURES.resolve("tvm_extra_import.wasm"), dir.resolve("m.wasm"));
        Files.writeString(dir.resolve("m.wasm.tvm.txt"),
                "abi: tvm-standalone\nname: m\nversion: 1\nmax_batch: 4\ninput: x f32 4\noutput: y f32 4\n");
        assertThat(run("inspect", wasm.toString(), "--abi", "tvm-standalone")).isEqualTo(2);
        assertThat(out.toString()).contains("import:      func wasi_snapshot_preview1.path_open",
                "verdict:     REFUSED before running (REFUSED)", "which the sandbox does not provide");
    }

    @Test
    void predictGivesTheAbiV1ModulesAccuracy() throws Exception {
        assertThat(run("predict", "sample:digits-mlp", "--abi", "tvm-standalone", "--input", "sample:digits-mlp",
                "--summary")).isZero();
        assertThat(out.toString()).contains("360 predicted, 0 rejected, 0 failed", "accuracy: 354 / 360");
    }

    @Test
    void anUnknownAbiIsAUsageError() throws Exception {
        assertThat(run("inspect", "sample:digits-mlp", "--abi", "v2")).isEqualTo(64);
        assertThat(err.toString()).contains("--abi v2: accepted values are v1, tvm-standalone");
    }
}
