package io.wasminference.operator;

import io.wasminference.abi.ModuleKind;
import io.wasminference.model.ModelManifest;
import io.wasminference.model.ModelRef;
import io.wasminference.model.ModelRepository;
import io.wasminference.record.DeadLetter;
import io.wasminference.record.InferenceRequest;
import io.wasminference.record.ModelCommand;
import io.wasminference.record.ModelEvent;
import io.wasminference.record.Prediction;
import io.wasminference.record.RecordTypeInfos;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.tensor.Tensor;
import io.wasminference.testutils.Fixtures;
import io.wasminference.tvm.TvmModule;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A running job swaps from an ABI v1 model to a tvm-standalone version of it, and a snapshot keeps serving it. */
@Timeout(120)
class TvmHotSwapTest {
    private static final OutputTag<DeadLetter> DEAD = new OutputTag<>("dead", RecordTypeInfos.DEAD_LETTER);
    private static final OutputTag<ModelEvent> EVENTS = new OutputTag<>("events", RecordTypeInfos.EVENT);
    private static final String SIDECAR = """
            abi: tvm-standalone
            name: identity
            version: 2
            max_batch: 8
            input: x f32 4
            output: y f32 4
            """;

    @TempDir
    Path dir;

    private TwoInputFactoryHarness<InferenceRequest, ModelCommand, Prediction> harness(
            ModelRepository repo, String model) throws Exception {
        TwoInputFactoryHarness<InferenceRequest, ModelCommand, Prediction> h = new TwoInputFactoryHarness<>(
                new HotSwapInferenceOperator.Factory(WasmInference.model(ModelRef.of(model)).repository(repo)
                        .batchSize(1).config(), DEAD, EVENTS));
        h.setup(RecordTypeInfos.PREDICTION.createSerializer(new SerializerConfigImpl()));
        return h;
    }

    private static Prediction predict(TwoInputFactoryHarness<InferenceRequest, ModelCommand, Prediction> h,
            String id) throws Exception {
        h.processElement1(InferenceRequest.of(id, Map.of("x", Tensor.ofFloats(new int[] {4}, 1, 2, 3, 4))), 0);
        List<Prediction> out = h.extractOutputValues();
        return out.get(out.size() - 1);
    }

    @Test
    void deploysASeedStyleVersionAndRestoresItFromASnapshot() throws Exception {
        ModelRepository repo = new ModelRepository(dir.resolve("repo").toString());
        String v1 = repo.ref(repo.publish(Fixtures.wasm("identity"), List.of(), SandboxLimits.defaults())).location();
        ModelManifest v2 = repo.publish(TvmModule.attach(Fixtures.wasm("tvm_identity"), SIDECAR), List.of(),
                SandboxLimits.defaults());
        assertThat(v2.kind()).isEqualTo(ModuleKind.TVM_STANDALONE);
        OperatorSubtaskState state;
        try (var h = harness(repo, v1)) {
            h.open();
            assertThat(predict(h, "a").modelVersion()).isEqualTo("1");
            h.processElement2(ModelCommand.deploy("identity", "2"), 0);
            while (!h.hasMail()) {
                Thread.sleep(5);
            }
            h.runMails();
            Prediction p = predict(h, "b");
            assertThat(p.modelVersion()).isEqualTo("2");
            assertThat(p.outputs().get("y").toFloats()).containsExactly(1, 2, 3, 4);
            assertThat(h.getSideOutput(EVENTS)).extracting(StreamRecord::getValue)
                    .extracting(e -> e.status() + " " + e.servingVersion()).contains("SERVING 2");
            h.prepareSnapshotPreBarrier(1);
            state = h.snapshot(1, 1);
        }
        try (var h = harness(repo, v1)) {
            h.initializeState(state);
            h.open();
            assertThat(predict(h, "c").modelVersion()).isEqualTo("2");
        }
    }
}
