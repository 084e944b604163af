package io.wasminference.compiler;

import io.wasminference.abi.ModelKind;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.format.Sample;
import io.wasminference.runtime.ModelInstance;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.runtime.WasmModel;
import io.wasminference.tensor.Tensor;
import io.wasminference.testutils.Fixtures;
import io.wasminference.testutils.Predictions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The project's own models, compiled from the ONNX files their training scripts exported, give the outputs of the
 * hand-written C modules within 1e-5 and the same prediction for every sample of the held-out sets.
 */
@Timeout(300)
class SampleModelsCompileTest {

    static byte[] onnx(String name) throws Exception {
        return Files.readAllBytes(Path.of("..", "samples", "models", name, "model.onnx"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"digits-mlp", "fashion-lenet5"})
    void compiledModelMatchesOnnxRuntimeOnTheWholeTestSet(String name) throws Exception {
        CompiledModel compiled = OnnxCompiler.compile(onnx(name), CompileOptions.builder().name(name).build());
        try (WasmModel ours = WasmModel.load(compiled.wasm(), SandboxLimits.defaults());
                ModelInstance o = ours.newInstance();
                OrtReference ort = new OrtReference(onnx(name))) {
            ModelMetadata meta = ours.metadata();
            List<Sample> test = Fixtures.testSet(name, meta);
            String input = meta.inputs().get(0).name();
            int per = (int) meta.inputs().get(0).shape().elementCount();
            double worst = 0;
            for (int from = 0; from < test.size(); from += 64) {
                List<Sample> chunk = test.subList(from, Math.min(test.size(), from + 64));
                List<io.wasminference.tensor.Tensor> batch = Batches.of(meta, chunk);
                double[] x = batch.get(0).toDoubles();
                double[] actual = o.run(batch).get(0).toDoubles();
                long[] shape = java.util.Arrays.stream(batch.get(0).shape()).mapToLong(d -> d).toArray();
                float[] ref = meta.inputs().get(0).dtype() == io.wasminference.abi.DType.U8
                        ? ort.runU8(input, x, shape) : ort.run(input, toFloats(x), shape);
                for (int i = 0; i < ref.length; i++) {
                    worst = Math.max(worst, Math.abs(actual[i] - ref[i]));
                }
                assertThat(actual).hasSize(ref.length);
                assertThat(x.length).isEqualTo(chunk.size() * per);
            }
            assertThat(worst).as("largest difference from ONNX Runtime").isLessThanOrEqualTo(1e-4);
        }
    }

    private static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    @ParameterizedTest
    @ValueSource(strings = {"digits-mlp", "fashion-lenet5"})
    void compiledModelMatchesTheHandWrittenModuleOnTheWholeTestSet(String name) throws Exception {
        CompiledModel compiled = OnnxCompiler.compile(onnx(name), CompileOptions.builder().name(name)
                .version("onnx").maxBatch(64).kind(ModelKind.CLASSIFIER).build());
        try (WasmModel hand = WasmModel.load(Fixtures.sample(name, "model.wasm"), SandboxLimits.defaults());
                WasmModel ours = WasmModel.load(compiled.wasm(), SandboxLimits.defaults());
                ModelInstance h = hand.newInstance();
                ModelInstance o = ours.newInstance()) {
            ModelMetadata meta = ours.metadata();
            assertThat(meta.inputs().get(0).shape()).isEqualTo(hand.metadata().inputs().get(0).shape());
            assertThat(meta.inputs().get(0).dtype()).isEqualTo(hand.metadata().inputs().get(0).dtype());
            List<Sample> test = Fixtures.testSet(name, hand.metadata());
            int agree = 0;
            double worst = 0;
            for (int from = 0; from < test.size(); from += 64) {
                List<Sample> chunk = test.subList(from, Math.min(test.size(), from + 64));
                Tensor expected = h.run(Batches.of(hand.metadata(), chunk)).get(0);
                Tensor actual = o.run(Batches.of(meta, chunk)).get(0);
                double[] e = expected.toDoubles();
                double[] a = actual.toDoubles();
                assertThat(a).hasSameSizeAs(e);
                for (int i = 0; i < e.length; i++) {
                    double err = Math.abs(a[i] - e[i]) / Math.max(1.0, Math.abs(e[i]));
                    worst = Math.max(worst, err);
                }
                for (int i = 0; i < chunk.size(); i++) {
                    if (Predictions.argmax(expected.sample(i)) == Predictions.argmax(actual.sample(i))) {
                        agree++;
                    }
                }
            }
            assertThat(worst).as("largest relative difference").isLessThanOrEqualTo(1e-5);
            assertThat(agree).isEqualTo(test.size());
        }
    }
}
