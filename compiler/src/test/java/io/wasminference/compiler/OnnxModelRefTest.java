package io.wasminference.compiler;

import io.wasminference.abi.DType;
import io.wasminference.abi.ModelKind;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.errors.ModelRefusedException;
import io.wasminference.model.ModelRef;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.runtime.WasmModel;
import io.wasminference.testutils.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** An ONNX file works wherever a model location does: compiled on load, with its sidecar's options. */
@Timeout(300)
class OnnxModelRefTest {
    static final Path PADDLE = Path.of("..", "samples", "models", "paddle-cls", "model.onnx");

    @Test
    void onnxFileLoadsThroughModelRefWithItsSidecarOptions() throws Exception {
        byte[] wasm = ModelRef.of(PADDLE.toString()).load();
        try (WasmModel m = WasmModel.load(wasm, SandboxLimits.defaults())) {
            ModelMetadata meta = m.metadata();
            assertThat(meta.id()).isEqualTo("paddle-cls:2.0");
            assertThat(meta.kind()).isEqualTo(ModelKind.CLASSIFIER);
            assertThat(meta.labels()).containsExactly("0", "180");
            assertThat(meta.inputs().get(0).dtype()).isEqualTo(DType.U8);
            assertThat(meta.inputs().get(0).shape().dims()).containsExactly(3, 48, 192);
            assertThat(meta.maxBatch()).isEqualTo(64);
        }
    }

    @Test
    void theCommittedSampleModuleIsWhatTheCompilerProducesByteForByte() {
        byte[] compiled = ModelRef.of(PADDLE.toString()).load();
        assertThat(compiled)
                .as("samples/src/main/resources/samples/paddle-cls/model.wasm is stale: recompile it with "
                        + "java -jar jobs/target/wasm-inference-jobs.jar compile samples/models/paddle-cls/model.onnx "
                        + "-o samples/src/main/resources/samples/paddle-cls/model.wasm")
                .isEqualTo(Fixtures.sample("paddle-cls", "model.wasm"));
    }

    @Test
    void aPinnedHashMatchesTheFileOrTheCompiledModule(@TempDir Path dir) throws Exception {
        Path onnx = dir.resolve("digits.onnx");
        Files.write(onnx, SampleModelsCompileTest.onnx("digits-mlp"));
        byte[] wasm = ModelRef.of(onnx.toString()).load();
        String fileSha = WasmModel.sha256(Files.readAllBytes(onnx));
        String moduleSha = WasmModel.sha256(wasm);
        assertThat(ModelRef.of(onnx.toString()).withSha256(fileSha).load()).isEqualTo(wasm);
        assertThat(ModelRef.of(onnx.toString()).withSha256(moduleSha).load()).isEqualTo(wasm);
        assertThatThrownBy(() -> ModelRef.of(onnx.toString()).withSha256("0".repeat(64)).load())
                .isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining(fileSha).hasMessageContaining(moduleSha);
        try (WasmModel m = WasmModel.load(wasm, SandboxLimits.defaults())) {
            assertThat(m.metadata().name()).as("named after the file without a sidecar").isEqualTo("digits");
        }
    }

    @Test
    void aSidecarWithAnUnknownFlagIsRefusedNamingIt(@TempDir Path dir) throws Exception {
        Path onnx = dir.resolve("m.onnx");
        Files.write(onnx, SampleModelsCompileTest.onnx("digits-mlp"));
        Files.writeString(dir.resolve("m.onnx.compile"), "--name ok\n--max-batch lots\n");
        assertThatThrownBy(() -> ModelRef.of(onnx.toString()).load())
                .isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining("m.onnx.compile").hasMessageContaining("--max-batch needs a number, got 'lots'");
        Files.writeString(dir.resolve("m.onnx.compile"), "--name ok --colour blue\n");
        assertThatThrownBy(() -> ModelRef.of(onnx.toString()).load())
                .isInstanceOf(ModelRefusedException.class).hasMessageContaining("[--colour, blue]");
    }

    @Test
    void compileFlagsParse() {
        CompileOptions.Builder b = CompileOptions.builder();
        List<String> rest = CompileArgs.apply(CompileArgs.tokenize(
                "model.onnx --name n --max-batch=8 # comment\n--labels a,b --input x:u8:3x4x5 "
                        + "--normalize x:scale=1/255,mean=0.5/0.25/0,std=0.5 --no-batch-axis \"quoted arg\""), b, null);
        CompileOptions o = b.build();
        assertThat(rest).containsExactly("model.onnx", "quoted arg");
        assertThat(o.name()).isEqualTo("n");
        assertThat(o.maxBatch()).isEqualTo(8);
        assertThat(o.labels()).containsExactly("a", "b");
        assertThat(o.batchAxis()).isFalse();
        InputOptions x = o.inputs().get("x");
        assertThat(x.dtype()).isEqualTo(DType.U8);
        assertThat(x.sampleShape()).containsExactly(3, 4, 5);
        assertThat(x.scale()).containsExactly((float) (1 / 255.0 / 0.5), (float) (1 / 255.0 / 0.5),
                (float) (1 / 255.0 / 0.5));
        assertThat(x.shift()).containsExactly(-1f, -0.5f, -0f);
        assertThatThrownBy(() -> CompileArgs.apply(List.of("--input", "x:f17"), CompileOptions.builder(), null))
                .hasMessageContaining("unknown dtype 'f17'");
    }
}
