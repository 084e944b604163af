package io.wasminference.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasminference.format.Sample;
import io.wasminference.model.ModelRef;
import io.wasminference.record.InferenceRequest;
import io.wasminference.record.Prediction;
import io.wasminference.record.RecordTypeInfos;
import io.wasminference.tensor.Tensor;
import io.wasminference.testutils.FailOnce;
import io.wasminference.testutils.Fixtures;
import io.wasminference.testutils.TestEnvironments;
import io.wasminference.testutils.TestSetGenerator;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The operator in a real Flink MiniCluster: two TaskManagers, two slots each. */
@Timeout(300)
class WasmInferenceITCase {
    private static final int PARALLELISM = 2;

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(2)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

    @ParameterizedTest
    @ValueSource(strings = {"digits-mlp", "fashion-lenet5"})
    void accuracyThroughTheOperatorEqualsStandaloneAccuracy(String model) throws Exception {
        JsonNode report = new ObjectMapper().readTree(Fixtures.sample(model, "training-report.json"));
        List<Sample> test = Fixtures.testSet(model, TestSetGenerator.metadata(model));
        Map<String, Integer> labels = new HashMap<>();
        List<InferenceRequest> requests = new ArrayList<>();
        for (int i = 0; i < test.size(); i++) {
            requests.add(InferenceRequest.of("r-" + i, test.get(i).inputs()));
            labels.put("r-" + i, test.get(i).label().getAsInt());
        }
        StreamExecutionEnvironment env = TestEnvironments.env();
        env.setParallelism(PARALLELISM);
        InferenceResult result = WasmInference.model(ModelRef.of("classpath:samples/" + model + "/model.wasm"))
                .batchSize(32)
                .apply(env.fromData(requests).rebalance());
        List<Prediction> predictions = collect(result.predictions());

        assertThat(predictions).hasSize(test.size());
        assertThat(predictions).extracting(Prediction::id).doesNotHaveDuplicates();
        long correct = predictions.stream().filter(p -> p.top1().index() == labels.get(p.id())).count();
        assertThat(correct).isEqualTo(report.get("framework_correct").asLong());
        assertThat(predictions).allSatisfy(p -> {
            assertThat(p.modelName()).isEqualTo(model);
            assertThat(p.modelVersion()).isEqualTo("1.0.0");
            assertThat(p.topK()).hasSize(5);
            assertThat(p.outputs().get("logits").shape()).containsExactly(10);
            assertThat(p.batchSize()).isBetween(1, 32);
        });
        // Batching really happened: most records shared a call with others.
        assertThat(predictions.stream().mapToInt(Prediction::batchSize).average().orElse(0)).isGreaterThan(4);
    }

    @Test
    void objectReuseDoesNotMixUpBufferedRecords() throws Exception {
        // With object reuse, a chained upstream operator hands over the same StreamRecord every time; the operator
        // buffers records across calls, so it must not keep that object.
        List<Sample> test = Fixtures.testSet("digits-mlp", TestSetGenerator.metadata("digits-mlp"));
        StreamExecutionEnvironment env = TestEnvironments.env();
        env.setParallelism(1);
        env.getConfig().enableObjectReuse();
        DataStream<InferenceRequest> requests = env.fromSource(new DataGeneratorSource<>(
                        new TestSetGenerator("digits-mlp"), test.size(), RecordTypeInfos.REQUEST),
                        WatermarkStrategy.noWatermarks(), "test-set")
                .map(r -> r).returns(RecordTypeInfos.REQUEST);
        List<Prediction> predictions = collect(WasmInference.model(
                ModelRef.of("classpath:samples/digits-mlp/model.wasm")).batchSize(64)
                .maxBatchDelay(Duration.ofSeconds(1)).apply(requests).predictions());
        assertThat(predictions).hasSize(test.size());
        assertThat(predictions).extracting(Prediction::id).doesNotHaveDuplicates();
        long correct = predictions.stream().filter(p -> p.top1().index()
                == test.get(Integer.parseInt(p.id().substring(2))).label().getAsInt()).count();
        JsonNode report = new ObjectMapper().readTree(Fixtures.sample("digits-mlp", "training-report.json"));
        assertThat(correct).isEqualTo(report.get("framework_correct").asLong());
    }

    @Test
    void poisonRecordsGoToDeadLettersAndTheOthersAreIntact() throws Exception {
        List<InferenceRequest> requests = new ArrayList<>();
        Set<String> poison = new HashSet<>();
        for (int i = 0; i < 300; i++) {
            boolean bad = i % 37 == 5;
            float first = bad ? -1f : i;
            requests.add(InferenceRequest.of("r-" + i,
                    Map.of("x", Tensor.ofFloats(new int[] {4}, first, i + 0.5f, -i, 42))));
            if (bad) {
                poison.add("r-" + i);
            }
        }
        StreamExecutionEnvironment env = TestEnvironments.env();
        env.setParallelism(PARALLELISM);
        InferenceResult result = WasmInference.model(ModelRef.of("classpath:wasm/poison.wasm"))
                .batchSize(16)
                .maxBatchDelay(Duration.ofMillis(20))
                .apply(env.fromData(requests).rebalance());
        DataStream<String> tagged = result.predictions()
                .map(p -> "P " + p.id() + " " + p.outputs().get("y").getDouble(1) + " " + p.modelVersion())
                .union(result.deadLetters().map(d -> "D " + d.id() + " " + d.errorKind() + " " + d.modelName()
                        + " " + d.reason().contains("UNREACHABLE")));
        List<String> out = collect(tagged);

        assertThat(out).hasSize(300);
        Set<String> dead = out.stream().filter(s -> s.startsWith("D ")).map(s -> s.split(" ")[1])
                .collect(Collectors.toSet());
        assertThat(dead).isEqualTo(poison);
        assertThat(out).filteredOn(s -> s.startsWith("D ")).allMatch(s -> s.endsWith("TRAP poison true"));
        assertThat(out).filteredOn(s -> s.startsWith("P ")).hasSize(300 - poison.size()).allSatisfy(s -> {
            String[] f = s.split(" ");
            int i = Integer.parseInt(f[1].substring(2));
            assertThat(Double.parseDouble(f[2])).isEqualTo(i + 0.5);
        });
    }

    @Test
    void recordsThatDoNotFitTheModelBecomeDeadLettersWithAReason() throws Exception {
        List<InferenceRequest> requests = List.of(
                InferenceRequest.of("good", Map.of("x", Tensor.ofFloats(new int[] {4}, 1, 2, 3, 4))),
                InferenceRequest.of("short", Map.of("x", Tensor.ofFloats(new int[] {3}, 1, 2, 3))),
                InferenceRequest.of("wrong-name", Map.of("z", Tensor.ofFloats(new int[] {4}, 1, 2, 3, 4))));
        StreamExecutionEnvironment env = TestEnvironments.env();
        env.setParallelism(1);
        InferenceResult result = WasmInference.model(ModelRef.of("classpath:wasm/identity.wasm"))
                .apply(env.fromData(requests));
        List<String> out = collect(result.predictions().map(p -> "P " + p.id())
                .union(result.deadLetters().map(d -> "D " + d.id() + " " + d.errorKind() + ": " + d.reason())));
        assertThat(out).containsExactlyInAnyOrder(
                "P good",
                "D short INVALID_INPUT: input 'x' is Tensor(f32 [3]) but model identity:1 expects f32 of shape 4 per "
                        + "record; records of this shape cannot share its batch",
                "D wrong-name INVALID_INPUT: input 'x' (x f32 4) is missing; model identity:1 takes [x f32 4]");
    }

    @Test
    void aSlowTrickleIsAnsweredWithinTheMaximumDelay() throws Exception {
        long maxDelayMillis = 100;
        StreamExecutionEnvironment env = TestEnvironments.env();
        env.setParallelism(1);
        DataStream<InferenceRequest> trickle = env.fromSource(
                new DataGeneratorSource<>(new TestSetGenerator("digits-mlp"), 30, RateLimiterStrategy.perSecond(20),
                        RecordTypeInfos.REQUEST),
                WatermarkStrategy.noWatermarks(), "trickle");
        InferenceResult result = WasmInference.model(ModelRef.of("classpath:samples/digits-mlp/model.wasm"))
                .batchSize(64)
                .maxBatchDelay(Duration.ofMillis(maxDelayMillis))
                .apply(trickle);
        List<Prediction> predictions = collect(result.predictions());

        assertThat(predictions).hasSize(30);
        // A batch never filled up (64 records would take 3 s): every record left because its oldest waited.
        assertThat(predictions).allSatisfy(p -> {
            assertThat(p.batchSize()).isLessThan(64);
            assertThat(p.queueMicros()).isLessThanOrEqualTo((maxDelayMillis + 60) * 1000);
        });
        // At 20 records/s and a 100 ms window, records do share calls, so the timer path really was exercised.
        assertThat(predictions.stream().mapToLong(Prediction::queueMicros).max().orElse(0))
                .isGreaterThan(maxDelayMillis * 1000 / 2);
    }

    @Test
    void everyInputYieldsExactlyOnePredictionAcrossAFailure() throws Exception {
        int n = 3000;
        FailOnce.reset();
        StreamExecutionEnvironment env = TestEnvironments.env(FailOnce.restartingJob());
        env.setParallelism(PARALLELISM);
        env.enableCheckpointing(200);
        DataStream<InferenceRequest> source = env.fromSource(
                new DataGeneratorSource<>(new TestSetGenerator("digits-mlp"), n, RateLimiterStrategy.perSecond(1500),
                        RecordTypeInfos.REQUEST),
                WatermarkStrategy.noWatermarks(), "test-set");
        InferenceResult result = WasmInference.model(ModelRef.of("classpath:samples/digits-mlp/model.wasm"))
                .batchSize(64)
                .maxBatchDelay(Duration.ofMillis(50))
                .apply(source);
        List<String> ids = collect(result.predictions().map(new FailOnce<>(700)).map(Prediction::id)
                .returns(Types.STRING));

        assertThat(FailOnce.failed()).isTrue();
        assertThat(ids).hasSize(n).doesNotHaveDuplicates();
        assertThat(new HashSet<>(ids)).containsAll(
                java.util.stream.LongStream.range(0, n).mapToObj(i -> "r-" + i).toList());
    }

    static <T> List<T> collect(DataStream<T> stream) throws Exception {
        List<T> out = new ArrayList<>();
        try (CloseableIterator<T> it = stream.executeAndCollect()) {
            it.forEachRemaining(out::add);
        }
        return out;
    }
}
