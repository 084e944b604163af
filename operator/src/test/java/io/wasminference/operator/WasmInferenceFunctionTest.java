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
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.StreamMap;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.types.Either;
import org.apache.flink.util.OutputTag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The map function: the operator's failure behaviour, one record per call, and its checkpointed version. */
@Timeout(60)
class WasmInferenceFunctionTest {
    private static final OutputTag<DeadLetter> DEAD = new OutputTag<>("dead", RecordTypeInfos.DEAD_LETTER);

    @TempDir
    Path dir;

    @Test
    void badRecordsBecomeTheSameDeadLettersAsInTheOperator() throws Exception {
        List<InferenceRequest> requests = List.of(request("ok1", 1), request("bad", -1),
                InferenceRequest.of("short", Map.of("x", Tensor.ofFloats(new int[] {3}, 1, 2, 3))),
                InferenceRequest.of("wrong-name", Map.of("z", Tensor.ofFloats(new int[] {4}, 1, 2, 3, 4))),
                request("ok2", 2));
        InferenceConfig config = config("classpath:wasm/poison.wasm", ErrorPolicy.DEAD_LETTER, 1000);

        List<String> viaFunction = new ArrayList<>();
        try (OneInputStreamOperatorTestHarness<InferenceRequest, Either<Prediction, DeadLetter>> h = map(config)) {
            h.open();
            for (InferenceRequest r : requests) {
                h.processElement(r, 0);
            }
            for (Object o : h.getOutput()) {
                @SuppressWarnings("unchecked")
                Either<Prediction, DeadLetter> e = ((StreamRecord<Either<Prediction, DeadLetter>>) o).getValue();
                viaFunction.add(e.isLeft() ? describe(e.left()) : describe(e.right()));
            }
        }
        List<String> viaOperator = new ArrayList<>();
        try (OneInputStreamOperatorTestHarness<InferenceRequest, Prediction> h = new OneInputStreamOperatorTestHarness<>(
                new WasmInferenceOperator.Factory(config, DEAD),
                RecordTypeInfos.REQUEST.createSerializer(new SerializerConfigImpl()))) {
            h.setup(RecordTypeInfos.PREDICTION.createSerializer(new SerializerConfigImpl()));
            h.open();
            for (InferenceRequest r : requests) {
                h.processElement(r, 0); // batches of one, as the function runs them
            }
            for (Object o : h.getOutput()) {
                @SuppressWarnings("unchecked")
                Prediction p = ((StreamRecord<Prediction>) o).getValue();
                viaOperator.add(describe(p));
            }
            h.getSideOutput(DEAD).forEach(d -> viaOperator.add(describe(d.getValue())));
        }

        assertThat(viaFunction).containsExactly(
                "P ok1 poison:1 1.0",
                "D bad TRAP poison:1 true",
                "D short INVALID_INPUT poison:1 false",
                "D wrong-name INVALID_INPUT poison:1 false",
                "P ok2 poison:1 2.0");
        assertThat(viaOperator).containsExactlyInAnyOrderElementsOf(viaFunction);
    }

    @Test
    void errorPolicyFailAndTheCircuitBreakerFailTheTaskAsInTheOperator() throws Exception {
        try (var h = map(config("classpath:wasm/poison.wasm", ErrorPolicy.FAIL, 1000))) {
            h.open();
            h.processElement(request("ok", 1), 0);
            assertThatThrownBy(() -> h.processElement(request("bad", -1), 0))
                    .hasMessageContaining("model poison:1 failed on a batch of 1 (error policy FAIL)")
                    .hasMessageContaining("UNREACHABLE_CODE_REACHED");
        }
        try (var h = map(config("classpath:wasm/poison.wasm", ErrorPolicy.DEAD_LETTER, 3))) {
            h.open();
            h.processElement(request("bad1", -1), 0);
            h.processElement(request("bad2", -1), 0);
            h.processElement(request("ok", 1), 0); // a success resets the count
            h.processElement(request("bad3", -1), 0);
            h.processElement(request("bad4", -1), 0);
            assertThatThrownBy(() -> h.processElement(request("bad5", -1), 0))
                    .hasMessageContaining("circuit breaker open")
                    .hasMessageContaining("failed on 3 records in a row");
            assertThat(h.getOutput()).hasSize(5);
        }
    }

    @Test
    void aSnapshotRestoresTheServedVersionEvenWithAnotherDefault() throws Exception {
        byte[] v1 = Fixtures.wasm("identity");
        byte[] v2 = WasmRewriter.withMetadata(v1, WasmRewriter.metadataText(v1).replace("version: 1", "version: 2"));
        Path v1File = Files.write(dir.resolve("v1.wasm"), v1);
        Path v2File = Files.write(dir.resolve("v2.wasm"), v2);
        OperatorSubtaskState state;
        try (var h = map(config(v1File.toString(), ErrorPolicy.DEAD_LETTER, 1000))) {
            h.open();
            h.processElement(request("a", 1), 0);
            state = h.snapshot(1, 1);
        }
        try (var h = map(config(v2File.toString(), ErrorPolicy.DEAD_LETTER, 1000))) {
            h.initializeState(state);
            h.open();
            h.processElement(request("b", 1), 0);
            @SuppressWarnings("unchecked")
            Either<Prediction, DeadLetter> out = ((StreamRecord<Either<Prediction, DeadLetter>>) h.getOutput().poll())
                    .getValue();
            assertThat(out.left().modelVersion()).isEqualTo("1");
        }
        try (var h = map(config(v2File.toString(), ErrorPolicy.DEAD_LETTER, 1000))) {
            h.open(); // without the state: the configured default
            h.processElement(request("c", 1), 0);
            @SuppressWarnings("unchecked")
            Either<Prediction, DeadLetter> out = ((StreamRecord<Either<Prediction, DeadLetter>>) h.getOutput().poll())
                    .getValue();
            assertThat(out.left().modelVersion()).isEqualTo("2");
        }
    }

    private static InferenceConfig config(String model, ErrorPolicy policy, int circuitBreakerThreshold) {
        return new InferenceConfig(ModelRef.of(model), SandboxLimits.defaults(),
                new BatchPolicy(1, Duration.ofSeconds(10)), policy, 3, circuitBreakerThreshold);
    }

    private static OneInputStreamOperatorTestHarness<InferenceRequest, Either<Prediction, DeadLetter>> map(
            InferenceConfig config) throws Exception {
        WasmInferenceFunction f = new WasmInferenceFunction(config);
        OneInputStreamOperatorTestHarness<InferenceRequest, Either<Prediction, DeadLetter>> h =
                new OneInputStreamOperatorTestHarness<>(new StreamMap<>(f),
                        RecordTypeInfos.REQUEST.createSerializer(new SerializerConfigImpl()));
        h.setup(f.getProducedType().createSerializer(new SerializerConfigImpl()));
        return h;
    }

    private static InferenceRequest request(String id, float first) {
        return InferenceRequest.of(id, Map.of("x", Tensor.ofFloats(new int[] {4}, first, 2, 3, 4)));
    }

    private static String describe(Prediction p) {
        return "P " + p.id() + " " + p.modelName() + ":" + p.modelVersion() + " " + p.outputs().get("y").toFloats()[0];
    }

    private static String describe(DeadLetter d) {
        return "D " + d.id() + " " + d.errorKind() + " " + d.modelName() + ":" + d.modelVersion() + " "
                + d.reason().contains("UNREACHABLE");
    }
}
