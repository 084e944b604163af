package io.wasminference.predict;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.errors.ErrorKind;
import io.wasminference.errors.ModelRefusedException;
import io.wasminference.errors.ModelTimeoutException;
import io.wasminference.errors.WasmInferenceException;
import io.wasminference.format.Sample;
import io.wasminference.model.ModelRef;
import io.wasminference.record.ClassScore;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.tensor.Tensor;
import io.wasminference.testutils.Fixtures;
import io.wasminference.testutils.Predictions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The predictor on its own, without Flink: input checks, top-k and labels, isolation of failing inputs, the time
 * budget, the output limit, golden vectors and its life cycle. Fixtures: {@code identity} (y = x, max_batch 8),
 * {@code poison} (traps when any sample has x[0] == -1), {@code invalid_input} (rejects x[0] < 0 with status
 * INVALID_INPUT), {@code loop_start} (its start function never returns).
 */
@Timeout(60)
class PredictorTest {
    private static final PredictorConfig DEFAULTS = PredictorConfig.of(SandboxLimits.defaults());

    private static Predictor predictor(String fixture, PredictorConfig config) {
        return Predictor.create(Fixtures.wasm(fixture), "classpath:wasm/" + fixture + ".wasm", config, m -> { });
    }

    private static Map<String, Tensor> x(float first) {
        return Map.of("x", Tensor.ofFloats(new int[] {4}, first, 1, 2, 3));
    }

    /** What the observer saw: "ok N" and "failed KIND N" per call, "rejected" and "budget N" otherwise. */
    private static final class Recorder implements InferenceObserver {
        final List<String> events = new ArrayList<>();

        @Override
        public void inputRejected(String problem) {
            events.add("rejected");
        }

        @Override
        public void callSucceeded(int batchSize, long micros) {
            events.add("ok " + batchSize);
        }

        @Override
        public void callFailed(ErrorKind kind, int batchSize) {
            events.add("failed " + kind + " " + batchSize);
        }

        @Override
        public void budgetExhausted(int inputs, WasmInferenceException cause) {
            events.add("budget " + inputs);
        }
    }

    @Test
    void aClassifierPredictsTheTestSetWithTopKClassesAndTheirLabels() throws Exception {
        try (Predictor p = Predictor.load(ModelRef.of("classpath:samples/digits-mlp/model.wasm"),
                DEFAULTS.withTopK(3))) {
            ModelMetadata meta = p.metadata();
            List<Sample> test = Fixtures.testSet("digits-mlp", meta);
            List<Outcome> outcomes = p.infer(test.stream().map(Sample::inputs).toList());
            assertThat(outcomes).hasSize(test.size()).allSatisfy(o -> assertThat(o).isInstanceOf(
                    Outcome.Predicted.class));
            int correct = 0;
            for (int i = 0; i < test.size(); i++) {
                Outcome.Predicted hit = (Outcome.Predicted) outcomes.get(i);
                List<ClassScore> top = hit.topK();
                assertThat(top).hasSize(3);
                assertThat(top.get(0).index()).isEqualTo(Predictions.argmax(hit.outputs().get("logits")));
                assertThat(top).extracting(ClassScore::probability).isSortedAccordingTo((a, b) -> Float.compare(b, a));
                assertThat(top).allSatisfy(s -> assertThat(s.label()).isEqualTo(meta.label(s.index())));
                assertThat(hit.outputs().get("logits").shape()).containsExactly(10);
                assertThat(hit.batchSize()).isBetween(1, meta.maxBatch());
                correct += top.get(0).index() == test.get(i).label().getAsInt() ? 1 : 0;
            }
            long framework = new ObjectMapper().readTree(Fixtures.sample("digits-mlp", "training-report.json"))
                    .get("framework_correct").asLong();
            assertThat((long) correct).isEqualTo(framework);
        }
    }

    @Test
    void inputsThatDoNotFitFailWithTheReasonAndNeverReachTheModel() {
        try (Predictor p = predictor("identity", DEFAULTS)) {
            Recorder r = new Recorder();
            List<Outcome> outcomes = p.infer(List.of(
                    x(1),
                    Map.of("x", Tensor.ofFloats(new int[] {3}, 1, 2, 3)),
                    Map.of("z", Tensor.ofFloats(new int[] {4}, 1, 2, 3, 4)),
                    Map.of("x", Tensor.ofFloats(new int[] {4}, 1, 2, 3, 4), "z", Tensor.ofFloats(new int[] {1}, 1)),
                    x(2)), r);
            assertThat(outcomes.get(0)).isInstanceOf(Outcome.Predicted.class);
            assertThat(outcomes.get(4)).isInstanceOf(Outcome.Predicted.class);
            assertThat(outcomes.subList(1, 4)).allSatisfy(o -> {
                Outcome.Failed f = (Outcome.Failed) o;
                assertThat(f.errorKind()).isEqualTo("INVALID_INPUT");
                assertThat(f.error().kind()).isEqualTo(ErrorKind.INVALID_INPUT);
                assertThat(f.modelFault()).isFalse();
            });
            assertThat(((Outcome.Failed) outcomes.get(1)).reason()).isEqualTo("input 'x' is Tensor(f32 [3]) but model "
                    + "identity:1 expects f32 of shape 4 per record; records of this shape cannot share its batch");
            assertThat(((Outcome.Failed) outcomes.get(2)).reason())
                    .isEqualTo("input 'x' (x f32 4) is missing; model identity:1 takes [x f32 4]");
            assertThat(((Outcome.Failed) outcomes.get(3)).reason())
                    .isEqualTo("unknown inputs [z]; model identity:1 takes [x f32 4]");
            // one call of the two inputs that fit
            assertThat(r.events).containsExactly("rejected", "rejected", "rejected", "ok 2");
        }
    }

    @Test
    void aPoisonInputIsIsolatedAndTheOthersArePredicted() {
        try (Predictor p = predictor("poison", DEFAULTS)) {
            Recorder r = new Recorder();
            List<Outcome> outcomes = p.infer(List.of(x(1), x(-1), x(2), x(3)), r);
            assertThat(outcomes).extracting(o -> o instanceof Outcome.Predicted hit ? "ok " + hit.batchSize()
                    : "failed " + ((Outcome.Failed) o).errorKind()).containsExactly("ok 1", "failed TRAP", "ok 2",
                            "ok 2");
            Outcome.Failed bad = (Outcome.Failed) outcomes.get(1);
            assertThat(bad.groupSize()).isEqualTo(1);
            assertThat(bad.modelFault()).isTrue();
            assertThat(bad.reason()).contains("UNREACHABLE_CODE_REACHED");
            assertThat(((Outcome.Predicted) outcomes.get(2)).outputs().get("y").toFloats()).containsExactly(2, 1, 2, 3);
            // [ok1, bad, ok2, ok3] fails, [ok1, bad] fails, [ok1] ok, [bad] fails, [ok2, ok3] ok
            assertThat(r.events).containsExactly("failed TRAP 4", "failed TRAP 2", "ok 1", "failed TRAP 1", "ok 2");
            assertThat(p.restarts()).isEqualTo(3); // a fresh instance after each trap
        }
    }

    @Test
    void onceTheBudgetIsSpentAFailedCallsInputsFailTogether() {
        try (Predictor p = predictor("poison", DEFAULTS.withBatchTimeBudget(Duration.ZERO))) {
            Recorder r = new Recorder();
            List<Outcome> outcomes = p.infer(List.of(x(1), x(-1), x(2)), r);
            assertThat(outcomes).allSatisfy(o -> {
                Outcome.Failed f = (Outcome.Failed) o;
                assertThat(f.errorKind()).isEqualTo("TRAP");
                assertThat(f.groupSize()).isEqualTo(3);
                assertThat(f.error()).isSameAs(((Outcome.Failed) outcomes.get(0)).error());
                assertThat(f.reason()).startsWith("a group of 3 records holding this one failed (TRAP: ")
                        .contains("was not retried on its own", "time budget of PT0S (batchTimeBudget)");
            });
            assertThat(r.events).containsExactly("failed TRAP 3", "budget 3");
        }
    }

    @Test
    void withoutIsolationAModelFaultIsThrownButARejectedInputIsStillAVerdict() {
        try (Predictor p = predictor("poison", DEFAULTS.withIsolateFailures(false))) {
            assertThat(p.infer(List.of(x(1)))).singleElement().isInstanceOf(Outcome.Predicted.class);
            assertThatThrownBy(() -> p.infer(List.of(x(1), x(-1))))
                    .isInstanceOf(WasmInferenceException.class)
                    .hasMessageContaining("UNREACHABLE_CODE_REACHED")
                    .satisfies(e -> assertThat(((WasmInferenceException) e).kind()).isEqualTo(ErrorKind.TRAP));
        }
        try (Predictor p = predictor("invalid_input", DEFAULTS.withIsolateFailures(false))) {
            List<Outcome> outcomes = p.infer(List.of(x(1), x(-1), x(2)));
            assertThat(outcomes.get(1)).isInstanceOfSatisfying(Outcome.Failed.class, f -> {
                assertThat(f.errorKind()).isEqualTo("INVALID_INPUT");
                assertThat(f.reason()).contains("x[0] must be >= 0");
            });
            assertThat(outcomes.get(0)).isInstanceOf(Outcome.Predicted.class);
            assertThat(outcomes.get(2)).isInstanceOf(Outcome.Predicted.class);
        }
    }

    @Test
    void outputsBeyondTheLimitFailEveryInputButGoldenVectorsStillCheckTheNumbers() {
        // identity's output y is f32 4: 16 bytes per input
        try (Predictor p = predictor("identity", DEFAULTS.withMaxOutputBytes(15))) {
            assertThat(p.outputLimitProblem()).contains("produces 16 bytes of outputs per record [y f32 4], more than "
                    + "the 15 bytes a prediction may carry");
            assertThat(p.infer(List.of(x(1), x(2)))).allSatisfy(o -> assertThat(o).isInstanceOfSatisfying(
                    Outcome.Failed.class, f -> {
                        assertThat(f.errorKind()).isEqualTo(Outcome.OUTPUT_TOO_LARGE);
                        assertThat(f.error()).isNull();
                        assertThat(f.modelFault()).isFalse();
                        assertThat(f.reason()).isEqualTo(p.outputLimitProblem());
                    }));
            p.checkGolden(List.of(golden(1, 2, 3, 4)));
        }
        try (Predictor p = predictor("identity", DEFAULTS.withMaxOutputBytes(16))) {
            assertThat(p.outputLimitProblem()).isNull();
            assertThat(p.infer(List.of(x(1)))).singleElement().isInstanceOf(Outcome.Predicted.class);
        }
    }

    @Test
    void goldenVectorsRunThroughTheSameChecksAndRefuseTheFirstDifference() {
        try (Predictor p = predictor("identity", DEFAULTS)) {
            p.checkGolden(List.of(golden(1, 2, 3, 4), golden(5, 6, 7, 8)));
            String wrong = "{\"inputs\": {\"x\": {\"shape\": [4], \"data\": [1, 2, 3, 4]}}, "
                    + "\"outputs\": {\"y\": {\"shape\": [4], \"data\": [1, 2, 3, 5]}}}";
            assertThatThrownBy(() -> p.checkGolden(List.of(golden(1, 2, 3, 4), wrong)))
                    .isInstanceOf(ModelRefusedException.class)
                    .hasMessage("golden vector 1 of identity:1: output 'y'[3] is 4.0, expected 5.0");
            assertThatThrownBy(() -> p.checkGolden(List.of("{\"inputs\": {}")))
                    .isInstanceOf(ModelRefusedException.class)
                    .hasMessageStartingWith("golden vector 0 of identity:1 is unusable: ");
        }
        try (Predictor p = predictor("poison", DEFAULTS)) {
            assertThatThrownBy(() -> p.checkGolden(List.of(golden(-1, 2, 3, 4))))
                    .isInstanceOf(WasmInferenceException.class)
                    .hasMessageContaining("UNREACHABLE_CODE_REACHED");
        }
    }

    @Test
    void theCheckBeforeStartRunsBeforeTheModulesCode() {
        // loop_start's start function never returns: had it run first, creation would fail with its TIMEOUT
        SandboxLimits limits = SandboxLimits.defaults().withStartupTimeout(Duration.ofSeconds(1));
        assertThatThrownBy(() -> Predictor.create(Fixtures.wasm("loop_start"), "loop_start", PredictorConfig.of(limits),
                m -> {
                    throw new ModelRefusedException("not " + m.id());
                })).isInstanceOf(ModelRefusedException.class).hasMessage("not loop_start:1");
        assertThatThrownBy(() -> Predictor.create(Fixtures.wasm("loop_start"), "loop_start", PredictorConfig.of(limits),
                m -> { })).isInstanceOf(ModelTimeoutException.class).hasMessageContaining("did not finish instantiation");
    }

    @Test
    void aClosedPredictorRefusesEveryCall() {
        Predictor p = predictor("identity", DEFAULTS);
        p.close();
        p.close(); // idempotent
        assertThat(p.isClosed()).isTrue();
        assertThat(p.memoryBytes()).isZero();
        assertThatThrownBy(() -> p.infer(List.of(x(1)))).isInstanceOf(IllegalStateException.class)
                .hasMessage("the predictor of model identity:1 is closed");
        assertThatThrownBy(() -> p.checkGolden(List.of(golden(1, 2, 3, 4))))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aPinnedHashThatDoesNotMatchIsRefusedBeforeAnythingLoads() {
        ModelRef pinned = ModelRef.of("classpath:wasm/identity.wasm").withSha256("00".repeat(32));
        assertThatThrownBy(() -> Predictor.load(pinned, DEFAULTS)).isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining("was expected: the file changed");
    }

    private static String golden(float... y) {
        String data = y[0] + ", " + y[1] + ", " + y[2] + ", " + y[3];
        return "{\"inputs\": {\"x\": {\"shape\": [4], \"data\": [" + data + "]}}, "
                + "\"outputs\": {\"y\": {\"shape\": [4], \"data\": [" + data + "]}}}";
    }
}
