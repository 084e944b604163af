package io.wasminference.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasminference.errors.ModelRefusedException;
import io.wasminference.predict.Predictor;
import io.wasminference.predict.PredictorConfig;
import io.wasminference.record.Prediction;
import io.wasminference.runtime.ModelInstance;
import io.wasminference.runtime.SamplesWriter;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.runtime.WasmModel;
import io.wasminference.tensor.Tensor;
import io.wasminference.testutils.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * i64 and i32 values keep every digit from the JSON input through the model to the JSON prediction and the golden
 * check: {@code multi_io} returns g + 1 for its i64 input g, and 2^53 + 1 is the first integer a double cannot hold.
 */
class IntegerPrecisionTest {
    private static final String SAMPLE = "{\"id\": \"big\", \"inputs\": {"
            + "\"a\": {\"data\": [1, 2]}, \"b\": {\"data\": [2147483647, -7, 1073741823]}, "
            + "\"c\": {\"data\": [0, 1, 2, 3, 4]}, \"d\": {\"data\": [5]}, \"e\": {\"data\": [3.0]}, "
            + "\"g\": {\"data\": [9007199254740993]}}}";

    @Test
    void anI64GoesThroughTheModelAndOutAsJsonWithEveryDigit() throws Exception {
        try (WasmModel model = WasmModel.load(Fixtures.wasm("multi_io"), SandboxLimits.defaults());
                ModelInstance instance = model.newInstance()) {
            Sample s = new JsonSampleCodec(model.metadata()).decode(SAMPLE);
            List<Tensor> out = instance.run(1, new SamplesWriter(List.of(s.inputs())));
            Map<String, Tensor> named = new HashMap<>();
            for (int o = 0; o < out.size(); o++) {
                named.put(model.metadata().outputs().get(o).name(), out.get(o).sample(0));
            }
            Prediction p = new Prediction("big", null, List.of(), named, List.of(), "multi_io", "1", 1, 0, 0);
            String json = new String(PredictionJson.encode(p, true), StandardCharsets.UTF_8);
            assertThat(json).contains("\"g_plus1\":{\"dtype\":\"i64\",\"shape\":[1],\"data\":[9007199254740994]}");
            // b * 2 wraps in i32: 2147483647 * 2 = -2
            assertThat(json).contains("\"b2\":{\"dtype\":\"i32\",\"shape\":[3],\"data\":[-2,-14,2147483646]}");
            JsonNode parsed = new ObjectMapper().readTree(json);
            assertThat(parsed.at("/outputs/g_plus1/data/0").isIntegralNumber()).isTrue();
        }
    }

    @Test
    void goldenVectorsCompareIntegerOutputsExactly() {
        try (Predictor predictor = Predictor.create(Fixtures.wasm("multi_io"), "multi_io",
                PredictorConfig.of(SandboxLimits.defaults()), m -> { })) {
            String outputs = "\"outputs\": {\"sum\": {\"data\": [3]}, \"b2\": {\"data\": [-2, -14, 2147483646]}, "
                    + "\"c_inv\": {\"data\": [255, 254, 253, 252, 251]}, \"d_neg\": {\"data\": [-5]}, "
                    + "\"e_half\": {\"data\": [1.5]}, \"g_plus1\": {\"data\": [%s]}}}";
            String inputs = SAMPLE.substring(0, SAMPLE.length() - 1).replace("\"id\": \"big\", ", "") + ", ";
            predictor.checkGolden(List.of(inputs + outputs.formatted("9007199254740994")));
            // off by one in the 16th digit: a relative tolerance of 1e-5 would pass it
            assertThatThrownBy(() -> predictor.checkGolden(
                    List.of(inputs + outputs.formatted("9007199254740995"))))
                    .isInstanceOf(ModelRefusedException.class)
                    .hasMessageContaining("output 'g_plus1'[0] is 9007199254740994, expected 9007199254740995");
        }
    }
}
