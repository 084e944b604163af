package io.wasminference.jobs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

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
    void inspectPrintsSmallMemoriesInTheUnitThatFits() throws Exception {
        assertThat(run("inspect", FIXTURES.resolve("exported_memory.wasm").toString())).isZero();
        assertThat(out.toString()).contains("memory:      exported 'memory', 1 to 4 pages (64 KiB to 256 KiB)",
                "table:       none");
        out.reset();
        assertThat(run("inspect", FIXTURES.resolve("indirect_call.wasm").toString())).isZero();
        assertThat(out.toString()).contains("1 to 4096 pages (64 KiB to 256 MiB), the maximum is the sandbox's cap",
                "table:       funcref 1..1");
    }

    @Test
    void inspectBoundsTheStartUpByItsOwnOption() throws Exception {
        assertThat(run("inspect", FIXTURES.resolve("loop_start.wasm").toString(), "--startup-timeout-ms", "300"))
                .isEqualTo(2);
        assertThat(out.toString()).contains("REFUSED at start-up (TIMEOUT)", "within its 300 ms deadline");
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

    /** One bad record costs itself only, as in the streaming job: the batch is retried in halves. */
    @Test
    void predictIsolatesTheRecordsAModelFailsOn(@TempDir Path dir) throws Exception {
        Path input = Files.writeString(dir.resolve("in.jsonl"), String.join("\n",
                "{\"id\": \"a\", \"shape\": [4], \"data\": [1, 2, 3, 4]}",
                "{\"id\": \"b\", \"shape\": [4], \"data\": [-1, 2, 3, 4]}",
                "{\"id\": \"c\", \"shape\": [4], \"data\": [5, 6, 7, 8]}",
                "{\"id\": \"d\", \"shape\": [4], \"data\": [9, 10, 11, 12]}", ""));
        assertThat(run("predict", FIXTURES.resolve("invalid_input.wasm").toString(), "--input", input.toString()))
                .isEqualTo(1);
        assertThat(out.toString()).contains("a  y=[1.0, 2.0, 3.0, 4.0]", "d  y=[9.0, 10.0, 11.0, 12.0]",
                "line 2 ('b'): REJECTED (INVALID_INPUT) model invalid_input:1 rejected the input",
                "4 samples, 3 predicted, 1 rejected, 0 failed");
        out.reset();
        assertThat(run("predict", FIXTURES.resolve("poison.wasm").toString(), "--input", input.toString()))
                .isEqualTo(1);
        assertThat(out.toString()).contains("c  y=[5.0, 6.0, 7.0, 8.0]", "line 2 ('b'): FAILED (TRAP)",
                "4 samples, 3 predicted, 0 rejected, 1 failed");
    }

    /** The batch time budget of the streaming job bounds predict's retries too (the shared IsolatingRunner). */
    @Test
    void predictStopsIsolatingOnceTheBatchTimeBudgetIsSpent(@TempDir Path dir) throws Exception {
        Path input = Files.writeString(dir.resolve("in.jsonl"), String.join("\n",
                "{\"id\": \"a\", \"shape\": [4], \"data\": [1, 2, 3, 4]}",
                "{\"id\": \"b\", \"shape\": [4], \"data\": [5, 6, 7, 8]}",
                "{\"id\": \"c\", \"shape\": [4], \"data\": [9, 10, 11, 12]}", ""));
        // loop_run never returns: with no budget, the first call's timeout is the only one (without it, 5 calls).
        assertThat(run("predict", FIXTURES.resolve("loop_run.wasm").toString(), "--input", input.toString(),
                "--timeout-ms", "200", "--batch-budget-ms", "0")).as(err.toString()).isEqualTo(1);
        assertThat(out.toString()).contains("line 1 ('a'): FAILED (TIMEOUT) in a group of 3 samples that failed (",
                "line 3 ('c'): FAILED (TIMEOUT) in a group of 3 samples",
                "was not retried on its own: the batch's time budget of 0 ms (--batch-budget-ms) is spent",
                "3 samples, 0 predicted, 0 rejected, 3 failed");
        assertThat(run("predict", FIXTURES.resolve("loop_run.wasm").toString(), "--input", input.toString(),
                "--batch-budget-ms", "-1")).isEqualTo(64);
        assertThat(err.toString()).contains("--batch-budget-ms must not be negative");
    }

    @Test
    void predictBoundsTheStartUpByItsOwnOption(@TempDir Path dir) throws Exception {
        Path input = Files.writeString(dir.resolve("in.jsonl"), "{\"shape\": [4], \"data\": [1, 2, 3, 4]}\n");
        assertThat(run("predict", FIXTURES.resolve("loop_start.wasm").toString(), "--input", input.toString(),
                "--startup-timeout-ms", "300")).isEqualTo(2);
        assertThat(err.toString()).contains("error (TIMEOUT)", "within its 300 ms deadline");
    }

    @Test
    void compileWritesAModuleThatInspectAndPredictServe(@TempDir Path dir) throws Exception {
        Path onnx = Path.of("..", "samples", "models", "fashion-lenet5", "model.onnx");
        Path labels = dir.resolve("labels.txt");
        Files.writeString(labels, "t-shirt\ntrouser\npullover\ndress\ncoat\nsandal\nshirt\nsneaker\n"
                + "bag\nankle boot\n");
        Path wasm = dir.resolve("lenet.wasm");
        assertThat(run("compile", onnx.toString(), "-o", wasm.toString(), "--name", "lenet", "--version", "7",
                "--labels", labels.toString(), "--max-batch", "32")).as(err.toString()).isZero();
        assertThat(out.toString()).contains("graph ", "plan ", "wrote " + wasm, "lenet:7");
        out.reset();
        assertThat(run("inspect", wasm.toString())).isZero();
        assertThat(out.toString()).contains("name:        lenet", "max batch:   32", "input:       image u8 28x28",
                "labels:      t-shirt, trouser", "verdict:     OK");
        out.reset();
        assertThat(run("predict", wasm.toString(), "--input", "sample:fashion-lenet5", "--summary")).isZero();
        assertThat(out.toString()).contains("2000 predicted", "accuracy: 1807 / 2000 = 0.9035");
    }

    @Test
    void predictTakesAnOnnxFileAndPrintsRawOutputs() throws Exception {
        Path onnx = Path.of("..", "samples", "models", "digits-mlp", "model.onnx");
        assertThat(run("predict", onnx.toString(), "--input", "sample:digits-mlp", "--limit", "2", "--json")).isZero();
        List<String> lines = out.toString().lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).startsWith("{\"id\":\"").contains("\"outputs\":{\"logits\":[");
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(lines.get(1)).get("outputs")
                .get("logits").size()).isEqualTo(10);
        assertThat(out.toString()).doesNotContain("predicted"); // the summary goes to stderr: stdout is JSON lines
    }

    @Test
    void compileRefusesAnUnsupportedModelWithExitCode2AndBadFlagsWith64(@TempDir Path dir) throws Exception {
        Path garbage = dir.resolve("x.onnx");
        Files.write(garbage, new byte[] {1, 2, 3});
        assertThat(run("compile", garbage.toString(), "-o", dir.resolve("x.wasm").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("not an ONNX model");
        Path onnx = Path.of("..", "samples", "models", "digits-mlp", "model.onnx");
        assertThat(run("compile", onnx.toString(), "-o", dir.resolve("y.wasm").toString(), "--max-batch", "lots"))
                .isEqualTo(64);
        assertThat(err.toString()).contains("--max-batch needs a number, got 'lots'");
    }

    @Test
    void keygenMakesTheKeysThatPublishSignsWithAndRunTrusts(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        String prefix = dir.resolve("team").toString();
        assertThat(run("keygen", "--out", prefix)).isZero();
        assertThat(java.nio.file.Files.getPosixFilePermissions(Path.of(prefix + ".key")))
                .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        String keyId = io.wasminference.signing.Ed25519Keys.keyId(io.wasminference.signing.Ed25519Keys.readPublic(
                java.nio.file.Files.readString(Path.of(prefix + ".pub"))).get(0));
        assertThat(out.toString()).contains("key id " + keyId);
        assertThat(run("keygen", "--out", prefix)).as("never overwrites a key").isEqualTo(64);
        assertThat(err.toString()).contains("team.key exists");

        String repo = dir.resolve("repo").toString();
        assertThat(run("publish", "--repo", repo, "sample:digits-mlp", "--sign-key", prefix + ".key")).isZero();
        assertThat(out.toString()).contains("published digits-mlp:1.0.0", "signed by key " + keyId);
        assertThat(run("models", "--repo", repo)).isZero();
        assertThat(out.toString()).contains("signed " + keyId);
        assertThat(new io.wasminference.model.ModelRepository(repo).findTrusted("digits-mlp", "1.0.0",
                io.wasminference.signing.TrustedKeys.read(Path.of(prefix + ".pub")))).isPresent();

        assertThat(run("publish", "--repo", repo, "sample:digits-mlp", "--sign-key", prefix + ".pub"))
                .isEqualTo(64);
        assertThat(err.toString()).contains("this is a public key: signing needs the private one");
    }

    @Test
    void usageErrorsExitWith64() throws Exception {
        assertThat(run("predict", "sample:digits-mlp")).isEqualTo(64);
        assertThat(err.toString()).contains("missing required option --input", "usage:");
        assertThat(run("frobnicate")).isEqualTo(64);
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo", "run", "compile", "inspect", "predict", "produce", "consume", "publish", "models",
        "keygen", "meta"})
    void everyCommandTakesHelp(String command) throws Exception {
        assertThat(run(command, "--help")).as(err.toString()).isZero();
        assertThat(out.toString()).startsWith("usage: java -jar wasm-inference-jobs.jar ").contains(command);
        assertThat(err.toString()).isEmpty();
        out.reset();
        assertThat(run(command, "-h")).isZero();
        assertThat(run("help", command)).isZero();
    }

    @Test
    void runHelpListsTheOptionsAndAUsageErrorShowsTheCommandsUsage() throws Exception {
        assertThat(run("run", "--bootstrap", "b:9092", "--help")).isZero();
        assertThat(out.toString()).contains("--checkpoint-dir", "--restart-attempts", "--model").doesNotContain(
                "needs a value");
        assertThat(run("run", "--bootstrap")).isEqualTo(64);
        assertThat(err.toString()).contains("error: option --bootstrap needs a value",
                "usage: java -jar wasm-inference-jobs.jar run --bootstrap HOST:PORT --model MODEL");
    }

    @Test
    void picocliMistakesAreReportedInTheToolsWordsWithTheUsage() throws Exception {
        assertThat(run("inspect")).isEqualTo(64);
        assertThat(err.toString()).contains("error: missing MODEL", "usage: java -jar wasm-inference-jobs.jar inspect");
        err.reset();
        assertThat(run("inspect", "sample:digits-mlp", "--colour", "red")).isEqualTo(64);
        assertThat(err.toString()).contains("error: unknown option --colour");
        err.reset();
        assertThat(run("produce", "--bootstrap", "b:9092", "--topic", "t", "--input", "x", "--format", "xml"))
                .isEqualTo(64);
        assertThat(err.toString()).contains("--format", "xml", "usage: java -jar wasm-inference-jobs.jar produce");
        err.reset();
        assertThat(run("run", "--bootstrap", "b:9092", "--model", "m", "--kafka.security.protocol")).isEqualTo(64);
        assertThat(err.toString()).contains("error: option --kafka.security.protocol needs a value");
        err.reset();
        assertThat(run("run", "--bootstrap", "b:9092", "--model", "m", "--delivery", "twice")).isEqualTo(64);
        assertThat(err.toString()).contains("error: --delivery must be exactly-once, at-least-once or none, got "
                + "'twice'");
        err.reset();
        assertThat(run("meta")).as("a group without its command").isEqualTo(64);
        assertThat(err.toString()).contains("error: missing command: attach or show");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void helpWinsOverMistakesOnTheSameLine() throws Exception {
        assertThat(run("predict", "--frobnicate", "--help")).isZero();
        assertThat(out.toString()).startsWith("usage: java -jar wasm-inference-jobs.jar predict");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void withoutACommandTheToolListsThemAndExitsWith64() throws Exception {
        assertThat(run()).isEqualTo(64);
        assertThat(out.toString()).startsWith("usage: java -jar wasm-inference-jobs.jar [-h] COMMAND")
                .contains("  demo ", "  run ", "  compile ", "  meta ");
        out.reset();
        assertThat(run("--help")).isZero();
        assertThat(run("help")).isZero();
    }

    /** The compile flags are the compiler's (CompileArgs parses them); the help documents each of them. */
    @Test
    void compileHelpDocumentsEveryCompilerFlag() throws Exception {
        assertThat(run("compile", "--help")).isZero();
        java.util.regex.Matcher flag = java.util.regex.Pattern.compile("--[a-z-]+")
                .matcher(io.wasminference.compiler.CompileArgs.USAGE);
        int flags = 0;
        while (flag.find()) {
            assertThat(out.toString()).as("compile --help documents " + flag.group()).contains("  " + flag.group());
            flags++;
        }
        assertThat(flags).isGreaterThanOrEqualTo(10);
    }

    /** The flags may come before the model: the ONNX file is what is left once the compile flags took values. */
    @Test
    void compileFindsTheModelAfterItsFlags(@TempDir Path dir) throws Exception {
        Path onnx = Path.of("..", "samples", "models", "digits-mlp", "model.onnx");
        Path wasm = dir.resolve("digits.wasm");
        assertThat(run("compile", "--name", "digits", "--version", "3", onnx.toString(), "-o", wasm.toString()))
                .as(err.toString()).isZero();
        assertThat(out.toString()).contains("digits:3");
        assertThat(run("compile", onnx.toString(), "extra.onnx", "-o", wasm.toString())).isEqualTo(64);
        assertThat(err.toString()).contains("compile takes one ONNX file, got [" + onnx + ", extra.onnx]");
    }

    @Test
    void runOnAClusterNotesWhenWasmtimeJavaIsNotInFlinksLib() {
        assertThat(RunCommand.wasmtimeMissing(MainTest.class.getClassLoader())).isEmpty();
        assertThat(RunCommand.wasmtimeMissing(new java.net.URLClassLoader(new java.net.URL[0], null)))
                .hasValueSatisfying(note -> assertThat(note).contains("wasmtime-java", "Flink's lib/"));
    }

    /** As a user sees it: its own JVM, through main(), which must not print a stack trace for a usage error. */
    @Test
    void theToolsOwnJvmPrintsNoStackTraceForHelpOrAUsageError(@TempDir Path dir) throws Exception {
        try (JobProcess help = JobProcess.start(dir.resolve("help.log"), List.of("run", "--help"))) {
            assertThat(help.waitFor(Duration.ofMinutes(1))).isZero();
            assertThat(help.console()).contains("usage: java -jar wasm-inference-jobs.jar run")
                    .doesNotContain("Exception").doesNotContain("\tat ");
        }
        try (JobProcess wrong = JobProcess.start(dir.resolve("wrong.log"), List.of("run", "--model"))) {
            assertThat(wrong.waitFor(Duration.ofMinutes(1))).isEqualTo(64);
            assertThat(wrong.console()).contains("error: option --model needs a value", "usage:")
                    .doesNotContain("Exception").doesNotContain("\tat ");
        }
    }
}
