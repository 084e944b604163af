package io.wasminference.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasminference.abi.ModelKind;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.TensorSpec;
import io.wasminference.format.JsonSampleCodec;
import io.wasminference.format.Sample;
import io.wasminference.tensor.Tensor;
import io.wasminference.testutils.Fixtures;
import io.wasminference.testutils.Predictions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The committed, trained sample models reproduce their training framework's outputs and accuracy in wasm. */
@Timeout(120)
class SampleModelsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {"digits-mlp", "fashion-lenet5"})
    void outputsEqualTheGoldenVectorsOfTheTrainingFramework(String name) throws Exception {
        for (String variant : List.of("model.wasm", "model-scalar.wasm")) {
            try (WasmModel model = WasmModel.load(Fixtures.sample(name, variant), SandboxLimits.defaults());
                    ModelInstance instance = model.newInstance()) {
                ModelMetadata meta = model.metadata();
                assertThat(meta.name()).isEqualTo(name);
                assertThat(meta.kind()).isEqualTo(ModelKind.CLASSIFIER);
                List<String> golden = Fixtures.sampleLines(name, "golden.jsonl");
                assertThat(golden).isNotEmpty();
                JsonSampleCodec codec = new JsonSampleCodec(meta);
                for (String line : golden) {
                    JsonNode g = JSON.readTree(line);
                    Sample sample = codec.decode(JSON.writeValueAsString(g));
                    List<Tensor> out = instance.run(batchOf(meta, List.of(sample)));
                    for (int o = 0; o < meta.outputs().size(); o++) {
                        TensorSpec spec = meta.outputs().get(o);
                        JsonNode expected = g.get("outputs").get(spec.name()).get("data");
                        double[] actual = out.get(o).toDoubles();
                        assertThat(actual).hasSize(expected.size());
                        for (int i = 0; i < actual.length; i++) {
                            double e = expected.get(i).asDouble();
                            assertThat(Math.abs(actual[i] - e))
                                    .as("%s %s %s[%d] of %s", name, variant, spec.name(), i, g.get("id").asText())
                                    .isLessThanOrEqualTo(1e-5 * Math.max(1.0, Math.abs(e)));
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"digits-mlp", "fashion-lenet5"})
    void accuracyOnTheHeldOutSetEqualsTheFrameworks(String name) throws Exception {
        JsonNode report = JSON.readTree(Fixtures.sample(name, "training-report.json"));
        try (WasmModel model = WasmModel.load(Fixtures.sample(name, "model.wasm"), SandboxLimits.defaults());
                ModelInstance instance = model.newInstance()) {
            ModelMetadata meta = model.metadata();
            List<Sample> test = Fixtures.testSet(name, meta);
            assertThat(test).hasSize(report.get("test_samples").asInt());
            int correct = 0;
            int batch = Math.min(64, meta.maxBatch());
            for (int from = 0; from < test.size(); from += batch) {
                List<Sample> chunk = test.subList(from, Math.min(test.size(), from + batch));
                Tensor scores = instance.run(batchOf(meta, chunk)).get(0);
                for (int i = 0; i < chunk.size(); i++) {
                    if (Predictions.argmax(scores.sample(i)) == chunk.get(i).label().getAsInt()) {
                        correct++;
                    }
                }
            }
            assertThat(correct).isEqualTo(report.get("framework_correct").asInt());
            assertThat((double) correct / test.size()).isGreaterThan(0.8);
        }
    }

    /** Stacks single samples into one batch per input. */
    static List<Tensor> batchOf(ModelMetadata meta, List<Sample> samples) {
        List<Tensor> inputs = new ArrayList<>();
        for (TensorSpec spec : meta.inputs()) {
            int sampleBytes = Math.toIntExact(spec.sampleBytes());
            byte[] data = new byte[sampleBytes * samples.size()];
            for (int i = 0; i < samples.size(); i++) {
                samples.get(i).inputs().get(spec.name()).buffer().get(data, i * sampleBytes, sampleBytes);
            }
            int[] dims = spec.shape().dims();
            int[] shape = new int[dims.length + 1];
            shape[0] = samples.size();
            System.arraycopy(dims, 0, shape, 1, dims.length);
            inputs.add(Tensor.wrap(spec.dtype(), shape, data));
        }
        return inputs;
    }
}
