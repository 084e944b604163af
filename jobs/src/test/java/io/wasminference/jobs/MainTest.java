package io.wasminference.jobs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The command-line tool, run in-process. */
class MainTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) throws Exception {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void inspectPrintsTheMetadataAndAnOkVerdict() throws Exception {
        assertThat(run("inspect", "sample:fashion-lenet5")).isZero();
        assertThat(out.toString()).contains("name:        fashion-lenet5", "input:       image u8 28x28",
                "labels:      T-shirt/top, Trouser", "verdict:     OK");
    }

    @Test
    void inspectRefusesAHostileModuleWithExitCode2() throws Exception {
        Path wasm = Path.of("..", "operator", "src", "test", "resources", "wasm", "wasi_import.wasm");
        assertThat(run("inspect", wasm.toString())).isEqualTo(2);
        assertThat(out.toString()).contains("REFUSED before running", "wasi_snapshot_preview1.fd_write");
    }

    @Test
    void inspectRefusesAMalformedCustomSectionWithoutAStackTrace() throws Exception {
        Path wasm = Path.of("..", "operator", "src", "test", "resources", "wasm", "bad_custom_name.wasm");
        assertThat(run("inspect", wasm.toString())).isEqualTo(2);
        assertThat(out.toString()).contains("REFUSED before running (REFUSED) - not a valid WebAssembly module: "
                + "a name of 5 bytes at offset 11 runs past the end of its section");
    }

    @Test
    void predictReportsTheAccuracyOfABundledTestSet() throws Exception {
        assertThat(run("predict", "sample:digits-mlp", "--input", "sample:digits-mlp", "--summary")).isZero();
        assertThat(out.toString()).contains("360 samples, 360 predicted, 0 rejected, 0 failed",
                "accuracy: 354 / 360 = 0.9833");
    }

    private static final Path FIXTURES = Path.of("..", "operator", "src", "test", "resources", "wasm");
    private static final Path HOSTILE = Path.of("..", "samples", "hostile");

    /** The jar attaches metadata exactly as samples/tools/wi_meta.py, which built identity.wasm, does. */
    @Test
    void metaAttachWritesTheSameBytesAsWiMetaPy(@TempDir Path dir) throws Exception {
        Path wasm = dir.resolve("model.wasm");
        Files.copy(FIXTURES.resolve("no_metadata.wasm"), wasm); // identity without its section
        assertThat(run("meta", "attach", wasm.toString(), HOSTILE.resolve("identity.meta.txt").toString())).isZero();
        assertThat(out.toString()).contains("identity:1");
        assertThat(Files.readAllBytes(wasm)).isEqualTo(Files.readAllBytes(FIXTURES.resolve("identity.wasm")));

        Path copy = dir.resolve("again.wasm");
        assertThat(run("meta", "attach", wasm.toString(), HOSTILE.resolve("identity_v2.meta.txt").toString(),
                "--out", copy.toString())).isZero();
        assertThat(Files.readAllBytes(wasm)).isEqualTo(Files.readAllBytes(FIXTURES.resolve("identity.wasm")));
        out.reset();
        assertThat(run("meta", "show", copy.toString())).isZero();
        assertThat(out.toString()).isEqualTo(Files.readString(HOSTILE.resolve("identity_v2.meta.txt")));
    }

    @Test
    void metaAttachRefusesMetadataTheHostWouldRefuse(@TempDir Path dir) throws Exception {
        Path wasm = dir.resolve("model.wasm");
        Files.copy(FIXTURES.resolve("no_metadata.wasm"), wasm);
        assertThat(run("meta", "attach", wasm.toString(), HOSTILE.resolve("bad_metadata.meta.txt").toString()))
                .isEqualTo(2);
        assertThat(err.toString()).contains("unknown dtype 'f16'");
        assertThat(Files.readAllBytes(wasm)).isEqualTo(Files.readAllBytes(FIXTURES.resolve("no_metadata.wasm")));
        assertThat(run("meta", "show", wasm.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("has no 'wasm-inference.v1' section");
    }

    @Test
    void usageErrorsExitWith64() throws Exception {
        assertThat(run("predict", "sample:digits-mlp")).isEqualTo(64);
        assertThat(err.toString()).contains("missing required option --input", "usage:");
        assertThat(run("frobnicate")).isEqualTo(64);
    }
}
