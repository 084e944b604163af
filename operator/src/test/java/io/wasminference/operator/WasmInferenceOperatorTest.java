package io.wasminference.operator;

import io.wasminference.batching.BatchPolicy;
import io.wasminference.model.ModelRef;
import io.wasminference.record.DeadLetter;
import io.wasminference.record.InferenceRequest;
import io.wasminference.record.Prediction;
import io.wasminference.record.RecordTypeInfos;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.tensor.Tensor;
import io.wasminference.testutils.Fixtures;
import io.wasminference.testutils.WasmRewriter;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.util.OutputTag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The batching operator driven by Flink's test harness, with processing time under the test's control. */
@Timeout(60)
class WasmInferenceOperatorTest {
    private static final OutputTag<DeadLetter> DEAD = new OutputTag<>("dead", RecordTypeInfos.DEAD_LETTER);

    @TempDir
    Path dir;

    @Test
    void keepsOneTimerThatMovesOnToTheBatchBeingFilled() throws Exception {
        try (OneInputStreamOperatorTestHarness<InferenceRequest, Prediction> h = harness("classpath:wasm/identity.wasm",
                new BatchPolicy(2, Duration.ofMillis(100)))) {
            h.open();
            h.setProcessingTime(0);
            h.processElement(request("a0", 0), 1);
            h.processElement(request("a1", 1), 2); // full: flushed, its timer (due 100) stays
            assertThat(predictions(h)).hasSize(2);
            h.getOutput().clear();

            h.setProcessingTime(50);
            h.processElement(request("b0", 0), 3); // due 150
            assertThat(h.getProcessingTimeService().getNumActiveTimers()).as("no second timer").isEqualTo(1);
            h.setProcessingTime(100); // the old timer fires before b0 is due and moves on to 150
            assertThat(predictions(h)).isEmpty();
            assertThat(h.getProcessingTimeService().getNumActiveTimers()).isEqualTo(1);
            h.setProcessingTime(149);
            assertThat(predictions(h)).isEmpty();
            h.setProcessingTime(150);
            assertThat(predictions(h)).extracting(Prediction::id).containsExactly("b0");
            assertThat(h.getProcessingTimeService().getNumActiveTimers()).as("nothing buffered, no timer").isZero();
        }
    }

    @Test
    void flushesWhenFullWhenTheOldestRecordHasWaitedAndBeforeBarriersWatermarksAndEndOfInput() throws Exception {
        try (OneInputStreamOperatorTestHarness<InferenceRequest, Prediction> h = harness("classpath:wasm/identity.wasm",
                new BatchPolicy(4, Duration.ofMillis(100)))) {
            h.open();
            h.setProcessingTime(0);
            for (int i = 0; i < 3; i++) {
                h.processElement(request("a" + i, i), 10 + i);
            }
            h.setProcessingTime(99);
            assertThat(predictions(h)).isEmpty();
            h.setProcessingTime(100); // the first record has waited the maximum delay
            assertThat(predictions(h)).extracting(Prediction::id).containsExactly("a0", "a1", "a2");
            assertThat(predictions(h)).allSatisfy(p -> assertThat(p.batchSize()).isEqualTo(3));
            h.getOutput().clear();

            for (int i = 0; i < 4; i++) {
                h.processElement(request("b" + i, i), 20);
            }
            assertThat(predictions(h)).as("full batch flushes at once").hasSize(4);
            h.getOutput().clear();
            h.setProcessingTime(1000); // the timer of the earlier batch fires on an empty buffer: nothing happens
            assertThat(predictions(h)).isEmpty();

            h.processElement(request("c0", 0), 30);
            h.prepareSnapshotPreBarrier(1);
            assertThat(predictions(h)).extracting(Prediction::id).containsExactly("c0");
            h.getOutput().clear();

            h.processElement(request("d0", 0), 40);
            h.processWatermark(new Watermark(41));
            assertThat(h.getOutput()).hasSize(2);
            Object first = h.getOutput().poll();
            assertThat(first).isInstanceOf(StreamRecord.class);
            assertThat(((StreamRecord<?>) first).getTimestamp()).isEqualTo(40);
            assertThat(h.getOutput().poll()).isEqualTo(new Watermark(41));

            h.processElement(request("e0", 0), 50);
            h.endInput();
            assertThat(predictions(h)).extracting(Prediction::id).containsExactly("e0");
        }
    }

    @Test
    void neverBatchesBeyondTheModelsDeclaredMaximum() throws Exception {
        // identity declares max_batch 8; ask for 100.
        try (OneInputStreamOperatorTestHarness<InferenceRequest, Prediction> h = harness("classpath:wasm/identity.wasm",
                new BatchPolicy(100, Duration.ofSeconds(10)))) {
            h.open();
            for (int i = 0; i < 8; i++) {
                h.processElement(request("r" + i, i), 0);
            }
            assertThat(predictions(h)).hasSize(8).allSatisfy(p -> assertThat(p.batchSize()).isEqualTo(8));
        }
    }

    @Test
    void aPoisonRecordInABatchIsIsolatedAndTheRestArePredicted() throws Exception {
        try (OneInputStreamOperatorTestHarness<InferenceRequest, Prediction> h = harness("classpath:wasm/poison.wasm",
                new BatchPolicy(4, Duration.ofSeconds(10)))) {
            h.open();
            h.processElement(request("ok1", 1), 0);
            h.processElement(request("bad", -1), 0);
            h.processElement(request("ok2", 2), 0);
            h.processElement(request("ok3", 3), 0);
            assertThat(predictions(h)).extracting(Prediction::id).containsExactly("ok1", "ok2", "ok3");
            // retried in halves on a fresh instance: [ok1, bad] fails, then [ok1] and [ok2, ok3] succeed
            assertThat(predictions(h)).extracting(Prediction::batchSize).containsExactly(1, 2, 2);
            List<DeadLetter> dead = h.getSideOutput(DEAD).stream().map(StreamRecord::getValue).toList();
            assertThat(dead).singleElement().satisfies(d -> {
                assertThat(d.id()).isEqualTo("bad");
                assertThat(d.errorKind()).isEqualTo("TRAP");
                assertThat(d.modelName()).isEqualTo("poison");
                assertThat(d.modelVersion()).isEqualTo("1");
                assertThat(d.reason()).contains("UNREACHABLE_CODE_REACHED");
            });
        }
    }

    @Test
    void theCircuitBreakerFailsTheTaskWhenTheModelFailsOnEveryRecord() throws Exception {
        InferenceConfig config = new InferenceConfig(ModelRef.of("classpath:wasm/poison.wasm"), SandboxLimits.defaults(),
                new BatchPolicy(2, Duration.ofSeconds(10)), ErrorPolicy.DEAD_LETTER, 1, 3);
        try (OneInputStreamOperatorTestHarness<InferenceRequest, Prediction> h = harness(config)) {
            h.open();
            h.processElement(request("bad1", -1), 0);
            h.processElement(request("bad2", -1), 0);
            h.processElement(request("ok", 5), 0);
            h.processElement(request("ok2", 5), 0); // a success resets the count
            h.processElement(request("bad3", -1), 0);
            h.processElement(request("bad4", -1), 0);
            h.processElement(request("bad5", -1), 0); // buffered: the batch of 2 is not full yet
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> h.processElement(request("bad6", -1), 0))
                    .hasMessageContaining("circuit breaker open")
                    .hasMessageContaining("failed on 3 records in a row");
            assertThat(h.getSideOutput(DEAD)).hasSize(4); // bad1..bad4 were dead-lettered before it opened
        }
    }

    @Test
    void aBatchThatTimesOutOnEveryRecordIsNotRetriedOnceItsTimeBudgetIsSpent() throws Exception {
        // loop_run never returns: without a budget the batch of 8 took 15 call timeouts (127 for a batch of 64).
        InferenceConfig config = WasmInference.model(ModelRef.of("classpath:wasm/loop_run.wasm"))
                .callTimeout(Duration.ofMillis(200))
                .batchSize(8)
                .maxBatchDelay(Duration.ofSeconds(10))
                .batchTimeBudget(Duration.ZERO) // no retry at all: deterministic whatever the machine's load
                .config();
        try (OneInputStreamOperatorTestHarness<InferenceRequest, Prediction> h = harness(config)) {
            h.open();
            for (int i = 0; i < 8; i++) {
                h.processElement(request("r" + i, i), 0);
            }
            assertThat(predictions(h)).isEmpty();
            List<DeadLetter> dead = h.getSideOutput(DEAD).stream().map(StreamRecord::getValue).toList();
            assertThat(dead).hasSize(8).allSatisfy(d -> {
                assertThat(d.errorKind()).isEqualTo("TIMEOUT");
                assertThat(d.reason()).contains("was not retried on its own")
                        .contains("time budget of PT0S (batchTimeBudget)");
            });
        }
    }

    @Test
    void theCircuitBreakerCountsRecordsDeadLetteredWithoutIsolation() throws Exception {
        InferenceConfig config = WasmInference.model(ModelRef.of("classpath:wasm/loop_run.wasm"))
                .callTimeout(Duration.ofMillis(200))
                .batchSize(8)
                .maxBatchDelay(Duration.ofSeconds(10))
                .batchTimeBudget(Duration.ZERO)
                .circuitBreakerThreshold(10)
                .config();
        try (OneInputStreamOperatorTestHarness<InferenceRequest, Prediction> h = harness(config)) {
            h.open();
            for (int i = 0; i < 15; i++) {
                h.processElement(request("r" + i, i), 0);
            }
            assertThat(h.getSideOutput(DEAD)).hasSize(8); // one failed call of 8 records: 8 in a row < 10
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> h.processElement(request("r15", 15), 0))
                    .hasMessageContaining("circuit breaker open")
                    .hasMessageContaining("failed on 16 records in a row, the last with TIMEOUT");
        }
    }

    @Test
    void predictionsWithMoreOutputBytesThanAllowedAreDeadLettered() throws Exception {
        // identity's output y is f32 4: 16 bytes per record
        for (long cap : new long[] {15, 16}) {
            InferenceConfig config = WasmInference.model(ModelRef.of("classpath:wasm/identity.wasm"))
                    .batchSize(2).maxOutputBytes(cap).config();
            try (OneInputStreamOperatorTestHarness<InferenceRequest, Prediction> h = harness(config)) {
                h.open();
                h.processElement(request("a", 1), 0);
                h.processElement(request("b", 2), 0);
                List<DeadLetter> dead = h.getSideOutput(DEAD) == null ? List.of()
                        : h.getSideOutput(DEAD).stream().map(StreamRecord::getValue).toList();
                if (cap == 15) {
                    assertThat(predictions(h)).isEmpty();
                    assertThat(dead).hasSize(2).allSatisfy(d -> {
                        assertThat(d.errorKind()).isEqualTo(DeadLetter.OUTPUT_TOO_LARGE);
                        assertThat(d.reason()).contains("produces 16 bytes of outputs per record [y f32 4], more "
                                + "than the 15 bytes a prediction may carry (maxOutputBytes, --max-output-bytes)");
                    });
                } else {
                    assertThat(predictions(h)).hasSize(2);
                    assertThat(dead).isEmpty();
                }
            }
        }
    }

    @Test
    void errorPolicyFailFailsTheTaskOnTheFirstModelFailure() throws Exception {
        InferenceConfig config = new InferenceConfig(ModelRef.of("classpath:wasm/poison.wasm"), SandboxLimits.defaults(),
                new BatchPolicy(1, Duration.ofSeconds(10)), ErrorPolicy.FAIL, 1, 1000);
        try (OneInputStreamOperatorTestHarness<InferenceRequest, Prediction> h = harness(config)) {
            h.open();
            h.processElement(request("ok", 1), 0);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> h.processElement(request("bad", -1), 0))
                    .hasMessageContaining("error policy FAIL")
                    .hasMessageContaining("UNREACHABLE_CODE_REACHED");
        }
    }

    @Test
    void aSnapshotRestoresTheServedVersionEvenWithAnotherDefault() throws Exception {
        byte[] v1 = Fixtures.wasm("identity");
        byte[] v2 = WasmRewriter.withMetadata(v1, WasmRewriter.metadataText(v1).replace("version: 1", "version: 2"));
        Path v1File = Files.write(dir.resolve("v1.wasm"), v1);
        Path v2File = Files.write(dir.resolve("v2.wasm"), v2);
        OperatorSubtaskState state;
        try (OneInputStreamOperatorTestHarness<InferenceRequest, Prediction> h = harness(v1File.toString(),
                BatchPolicy.defaults())) {
            h.open();
            h.processElement(request("a", 1), 0);
            h.prepareSnapshotPreBarrier(1); // the task does this before every snapshot; the harness does not
            state = h.snapshot(1, 1);
            assertThat(predictions(h)).extracting(Prediction::modelVersion).containsExactly("1");
        }
        try (OneInputStreamOperatorTestHarness<InferenceRequest, Prediction> h = harness(v2File.toString(),
                BatchPolicy.defaults())) {
            h.initializeState(state);
            h.open();
            h.processElement(request("b", 1), 0);
            h.endInput();
            assertThat(predictions(h)).extracting(Prediction::modelVersion).containsExactly("1");
        }
    }

    private OneInputStreamOperatorTestHarness<InferenceRequest, Prediction> harness(String model, BatchPolicy batching)
            throws Exception {
        return harness(new InferenceConfig(ModelRef.of(model), SandboxLimits.defaults(), batching,
                ErrorPolicy.DEAD_LETTER, 3, 1000));
    }

    private OneInputStreamOperatorTestHarness<InferenceRequest, Prediction> harness(InferenceConfig config)
            throws Exception {
        OneInputStreamOperatorTestHarness<InferenceRequest, Prediction> h = new OneInputStreamOperatorTestHarness<>(
                new WasmInferenceOperator.Factory(config, DEAD), RecordTypeInfos.REQUEST
                        .createSerializer(new org.apache.flink.api.common.serialization.SerializerConfigImpl()));
        h.setup(RecordTypeInfos.PREDICTION.createSerializer(
                new org.apache.flink.api.common.serialization.SerializerConfigImpl()));
        return h;
    }

    private static InferenceRequest request(String id, float first) {
        return InferenceRequest.of(id, Map.of("x", Tensor.ofFloats(new int[] {4}, first, 1, 2, 3)));
    }

    @SuppressWarnings("unchecked")
    private static List<Prediction> predictions(OneInputStreamOperatorTestHarness<InferenceRequest, Prediction> h) {
        return h.getOutput().stream()
                .filter(o -> o instanceof StreamRecord)
                .map(o -> ((StreamRecord<Prediction>) o).getValue())
                .collect(Collectors.toList());
    }
}
