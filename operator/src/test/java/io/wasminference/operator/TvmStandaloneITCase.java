package io.wasminference.operator;

import io.wasminference.abi.ModuleKind;
import io.wasminference.errors.ErrorKind;
import io.wasminference.format.Sample;
import io.wasminference.model.ModelRef;
import io.wasminference.record.DeadLetter;
import io.wasminference.record.InferenceRequest;
import io.wasminference.record.Prediction;
import io.wasminference.runtime.ModelInstance;
import io.wasminference.runtime.SamplesWriter;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.runtime.WasmModel;
import io.wasminference.tensor.Tensor;
import io.wasminference.testutils.Fixtures;
import io.wasminference.testutils.TestSetGenerator;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The seed-style digits-mlp (docs/tvm-standalone.md) through the operator in a MiniCluster, chosen by a ModelRef
 * option: batched as usual, the same logits as the ABI v1 module's, a sample the module fails on (NaN pixels: it
 * returns 0) becomes a dead letter and the rest of its batch is served.
 */
@Timeout(300)
class TvmStandaloneITCase {

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

    @Test
    void theOperatorServesASeedModuleLikeItsAbiV1Twin() throws Exception {
        List<Sample> test = Fixtures.testSet("digits-mlp", TestSetGenerator.metadata("digits-mlp"));
        Map<String, float[]> expected = new HashMap<>();
        List<InferenceRequest> requests = new ArrayList<>();
        try (WasmModel v1 = WasmModel.load(Fixtures.sample("digits-mlp", "model.wasm"), SandboxLimits.defaults());
                ModelInstance instance = v1.newInstance()) {
            for (int i = 0; i < test.size(); i++) {
                Map<String, Tensor> in = test.get(i).inputs();
                expected.put("r-" + i, instance.run(1, new SamplesWriter(List.of(in))).get(0).toFloats());
                requests.add(InferenceRequest.of("r-" + i, in));
            }
        }
        float[] nan = new float[64];
        Arrays.fill(nan, Float.NaN);
        requests.add(150, InferenceRequest.of("nan", Map.of("pixels", Tensor.ofFloats(new int[] {64}, nan))));

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        ModelRef ref = ModelRef.of("classpath:samples/digits-mlp/tvm-standalone.wasm")
                .withKind(ModuleKind.TVM_STANDALONE);
        InferenceResult result = WasmInference.model(ref).batchSize(32).apply(env.fromData(requests).rebalance());
        List<Object> out = WasmInferenceITCase.collect(result.predictions().map(p -> (Object) p)
                .union(result.deadLetters().map(d -> (Object) d)));

        List<Prediction> predictions = out.stream().filter(o -> o instanceof Prediction).map(o -> (Prediction) o)
                .toList();
        List<DeadLetter> dead = out.stream().filter(o -> o instanceof DeadLetter).map(o -> (DeadLetter) o).toList();
        assertThat(predictions).hasSize(test.size());
        assertThat(predictions).extracting(Prediction::id).doesNotHaveDuplicates();
        assertThat(predictions).allSatisfy(p -> {
            assertThat(p.modelName()).isEqualTo("digits-mlp");
            assertThat(p.outputs().get("logits").toFloats()).containsExactly(expected.get(p.id()));
        });
        assertThat(predictions.stream().mapToInt(Prediction::batchSize).average().orElse(0)).isGreaterThan(4);
        assertThat(dead).singleElement().satisfies(d -> {
            assertThat(d.id()).isEqualTo("nan");
            assertThat(d.errorKind()).isEqualTo(ErrorKind.MODEL_ERROR.name());
            assertThat(d.reason()).contains("returned 0").contains("digits-mlp: rejected a FP32 tensor");
        });
    }
}
