package io.wasminference.operator;

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
import io.wasminference.runtime.WasmModel;
import io.wasminference.signing.Ed25519Keys;
import io.wasminference.signing.TrustedKeys;
import io.wasminference.tensor.Tensor;
import io.wasminference.testutils.Fixtures;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.apache.flink.util.OutputTag;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hot-swap operator driven by Flink's two-input test harness: signed deploys, and the bound on pending
 * commands. 'identity' v1 returns y = x, v2 (identity_v2) y = 2x.
 */
@Timeout(120)
class HotSwapOperatorTest {
    private static final OutputTag<DeadLetter> DEAD = new OutputTag<>("dead", RecordTypeInfos.DEAD_LETTER);
    private static final OutputTag<ModelEvent> EVENTS = new OutputTag<>("events", RecordTypeInfos.EVENT);

    @TempDir
    Path dir;
    private ModelRepository repo;
    private String v1;
    private final KeyPair publisher = Ed25519Keys.generate();
    private final KeyPair stranger = Ed25519Keys.generate();

    @BeforeEach
    void repository() throws Exception {
        repo = new ModelRepository(dir.resolve("repo").toString());
        v1 = repo.ref(repo.publish(Fixtures.wasm("identity"), List.of(), SandboxLimits.defaults())).location();
    }

    private TwoInputStreamOperatorTestHarness<InferenceRequest, ModelCommand, Prediction> harness(
            WasmInference builder) throws Exception {
        HotSwapInferenceOperator op = new HotSwapInferenceOperator(
                new WasmInferenceFunction(builder.repository(repo).batchSize(1).config()), DEAD, EVENTS);
        TwoInputStreamOperatorTestHarness<InferenceRequest, ModelCommand, Prediction> h =
                new TwoInputStreamOperatorTestHarness<>(op);
        h.setup(RecordTypeInfos.PREDICTION.createSerializer(new SerializerConfigImpl()));
        h.open();
        return h;
    }

    /**
     * Sends a command, waits until it is prepared, and lets one record through so the swap is applied. A quick
     * refusal may be ready, and applied, within processElement2 already: then its event is out.
     */
    private static List<String> deploy(TwoInputStreamOperatorTestHarness<InferenceRequest, ModelCommand, Prediction> h,
            String version) throws Exception {
        h.processElement2(ModelCommand.deploy("identity", version), 0);
        WasmInferenceFunction f = ((HotSwapInferenceOperator) h.getOperator()).getUserFunction();
        while (!f.swapReady() && (h.getSideOutput(EVENTS) == null || h.getSideOutput(EVENTS).isEmpty())) {
            Thread.sleep(5);
        }
        h.processElement1(InferenceRequest.of("r", Map.of("x", Tensor.ofFloats(new int[] {4}, 1, 2, 3, 4))), 0);
        return events(h);
    }

    private static List<String> events(TwoInputStreamOperatorTestHarness<InferenceRequest, ModelCommand, Prediction> h) {
        List<String> out = new ArrayList<>();
        if (h.getSideOutput(EVENTS) != null) {
            for (StreamRecord<ModelEvent> e : h.getSideOutput(EVENTS)) {
                out.add(e.getValue().status() + " " + e.getValue().servingVersion() + " " + e.getValue().reason());
            }
            h.getSideOutput(EVENTS).clear();
        }
        return out;
    }

    @Test
    void withTrustedKeysOnlyVersionsSignedByOneOfThemAreDeployed() throws Exception {
        String trusted = Ed25519Keys.keyId(publisher.getPublic());
        try (var h = harness(WasmInference.model(ModelRef.of(v1))
                .trustedKeys(TrustedKeys.of(List.of(publisher.getPublic()))))) {
            byte[] v2 = Fixtures.wasm("identity_v2");
            repo.publish(v2, List.of(), SandboxLimits.defaults());
            assertThat(deploy(h, "2")).singleElement().asString()
                    .startsWith("REFUSED 1 identity:2 is not signed (no manifest.json.sig")
                    .contains(trusted);

            repo.publish(v2, List.of(), SandboxLimits.defaults(), stranger.getPrivate());
            assertThat(deploy(h, "2")).singleElement().asString()
                    .startsWith("REFUSED 1 identity:2 is signed by key '" + Ed25519Keys.keyId(stranger.getPublic())
                            + "', which is not one of this job's trusted keys [" + trusted + "]");

            // signed by the trusted key, then the manifest edited to point at other bytes: refused
            repo.publish(v2, List.of(), SandboxLimits.defaults(), publisher.getPrivate());
            Path manifest = dir.resolve("repo/identity/2/manifest.json");
            String original = Files.readString(manifest);
            Files.writeString(manifest, original.replace("\"max_batch\" : 8", "\"max_batch\" : 9"));
            assertThat(deploy(h, "2")).singleElement().asString()
                    .startsWith("REFUSED 1 the signature of identity:2 does not verify with trusted key " + trusted);

            Files.writeString(manifest, original);
            assertThat(deploy(h, "2")).containsExactly("SERVING 2 ");
        }
    }

    @Test
    void withoutTrustedKeysUnsignedVersionsAreDeployedAsBefore() throws Exception {
        try (var h = harness(WasmInference.model(ModelRef.of(v1)))) {
            repo.publish(Fixtures.wasm("identity_v2"), List.of(), SandboxLimits.defaults());
            assertThat(deploy(h, "2")).containsExactly("SERVING 2 ");
        }
    }

    @Test
    void commandsBeyondThePendingBoundAreRefusedWithAnEvent() throws Exception {
        // version 4's start function never returns: it stays in flight for the start-up deadline, so the queue
        // behind it fills up (the 40 commands arrive within microseconds; the deadline is 3 s)
        Path hostile = Files.createDirectories(dir.resolve("repo/identity/4"));
        byte[] bytes = Fixtures.wasm("identity_hostile");
        Files.write(hostile.resolve("model.wasm"), bytes);
        Files.writeString(hostile.resolve("manifest.json"), new ModelManifest("identity", "4",
                WasmModel.sha256(bytes), bytes.length, "2026-11-26T00:00:00Z", 8, List.of("x f32 4"),
                List.of("y f32 4"), List.of()).toJson());
        try (var h = harness(WasmInference.model(ModelRef.of(v1))
                .limits(SandboxLimits.defaults().withStartupTimeout(Duration.ofSeconds(3))))) {
            for (int i = 0; i < 40; i++) {
                h.processElement2(ModelCommand.deploy("identity", "4"), 0);
            }
            List<String> refused = events(h);
            assertThat(refused).hasSize(40 - ModelSwapper.MAX_PENDING_COMMANDS).allSatisfy(e -> assertThat(e)
                    .startsWith("REFUSED 1 32 control commands are pending already"));
        }
    }
}
