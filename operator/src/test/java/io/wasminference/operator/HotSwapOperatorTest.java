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
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
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

    private TwoInputFactoryHarness<InferenceRequest, ModelCommand, Prediction> harness(
            WasmInference builder) throws Exception {
        TwoInputFactoryHarness<InferenceRequest, ModelCommand, Prediction> h = new TwoInputFactoryHarness<>(
                new HotSwapInferenceOperator.Factory(builder.repository(repo).batchSize(1).config(), DEAD, EVENTS));
        h.setup(RecordTypeInfos.PREDICTION.createSerializer(new SerializerConfigImpl()));
        h.open();
        return h;
    }

    /**
     * Sends a command and waits until its preparation puts a mail into the task's mailbox; running that mail
     * applies it. A quick refusal may be ready, and applied, within processElement2 already: then its event is out.
     */
    private static List<String> deploy(TwoInputFactoryHarness<InferenceRequest, ModelCommand, Prediction> h,
            String version) throws Exception {
        h.processElement2(ModelCommand.deploy("identity", version), 0);
        while (!h.hasMail() && (h.getSideOutput(EVENTS) == null || h.getSideOutput(EVENTS).isEmpty())) {
            Thread.sleep(5);
        }
        h.runMails();
        h.processElement1(InferenceRequest.of("r", Map.of("x", Tensor.ofFloats(new int[] {4}, 1, 2, 3, 4))), 0);
        return events(h);
    }

    private static List<String> events(TwoInputFactoryHarness<InferenceRequest, ModelCommand, Prediction> h) {
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
    void aPreparedSwapComesBackAsAMailAndIsAppliedBetweenBatches() throws Exception {
        repo.publish(Fixtures.wasm("identity_v2"), List.of(), SandboxLimits.defaults());
        // version 2's file becomes a named pipe, so its preparation waits for the test: a swap prepared before
        // processElement2 returns would (rightly) be applied there at once, and this test is about the mail
        Path v2 = dir.resolve("repo/identity/2/model.wasm");
        byte[] v2Bytes = Files.readAllBytes(v2);
        Files.delete(v2);
        assertThat(new ProcessBuilder("mkfifo", v2.toString()).start().waitFor()).isZero();
        TwoInputFactoryHarness<InferenceRequest, ModelCommand, Prediction> h = new TwoInputFactoryHarness<>(
                new HotSwapInferenceOperator.Factory(WasmInference.model(ModelRef.of(v1)).repository(repo)
                        .batchSize(2).config(), DEAD, EVENTS));
        try (h) {
            h.setup(RecordTypeInfos.PREDICTION.createSerializer(new SerializerConfigImpl()));
            h.open();
            h.processElement1(request("a", 1), 0); // buffered: the batch holds 2
            int timers = h.getProcessingTimeService().getNumActiveTimers();
            h.processElement2(ModelCommand.deploy("identity", "2"), 0);
            assertThat(events(h)).isEmpty();
            Files.write(v2, v2Bytes); // the swap thread reads the pipe and prepares version 2
            // prepared on the swap thread, announced in the task's mailbox (not by a timer)
            while (!h.hasMail() && h.getProcessingTimeService().getNumActiveTimers() == timers) {
                Thread.sleep(5);
            }
            assertThat(h.getProcessingTimeService().getNumActiveTimers()).as("no timer for the swap")
                    .isEqualTo(timers);
            assertThat(h.hasMail()).isTrue();
            assertThat(events(h)).isEmpty();
            h.runMails();
            // the buffered record left with the version it arrived under, then the switch
            assertThat(outputs(h)).containsExactly("a 1 1.0");
            assertThat(events(h)).containsExactly("SERVING 2 ");
            h.processElement1(request("b", 1), 0);
            h.processElement1(request("c", 3), 0);
            assertThat(outputs(h)).containsExactly("a 1 1.0", "b 2 2.0", "c 2 6.0");
        }
    }

    private static InferenceRequest request(String id, float first) {
        return InferenceRequest.of(id, Map.of("x", Tensor.ofFloats(new int[] {4}, first, 2, 3, 4)));
    }

    /** "id version y[0]" of every prediction so far. */
    @SuppressWarnings("unchecked")
    private static List<String> outputs(TwoInputFactoryHarness<InferenceRequest, ModelCommand, Prediction> h) {
        return h.getOutput().stream().filter(o -> o instanceof StreamRecord).map(o -> {
            Prediction p = ((StreamRecord<Prediction>) o).getValue();
            return p.id() + " " + p.modelVersion() + " " + p.outputs().get("y").toFloats()[0];
        }).toList();
    }

    /**
     * A deploy in flight and a rollback queued behind it are in the checkpoint, and a restored operator applies both:
     * version 2's file is a named pipe while the snapshot is taken, so the swap thread blocks reading it.
     */
    @Test
    void pendingCommandsRoundTripThroughACheckpoint() throws Exception {
        repo.publish(Fixtures.wasm("identity_v2"), List.of(), SandboxLimits.defaults());
        Path v2 = dir.resolve("repo/identity/2/model.wasm");
        byte[] v2Bytes = Files.readAllBytes(v2);
        Files.delete(v2);
        assertThat(new ProcessBuilder("mkfifo", v2.toString()).start().waitFor()).isZero();
        OperatorSubtaskState snapshot;
        try (var h = harness(WasmInference.model(ModelRef.of(v1)))) {
            h.processElement2(ModelCommand.deploy("identity", "2"), 0);
            h.processElement2(ModelCommand.rollback("identity"), 0);
            h.processElement1(request("a", 1), 0);
            snapshot = h.snapshot(1, 1);
            assertThat(events(h)).isEmpty();
            try (var release = Files.newOutputStream(v2)) { // lets the blocked read end (an empty file: refused)
                release.flush();
            }
        }
        Files.delete(v2);
        Files.write(v2, v2Bytes);

        var restored = new TwoInputFactoryHarness<InferenceRequest, ModelCommand, Prediction>(
                new HotSwapInferenceOperator.Factory(WasmInference.model(ModelRef.of(v1)).repository(repo)
                        .batchSize(1).config(), DEAD, EVENTS));
        try (restored) {
            restored.setup(RecordTypeInfos.PREDICTION.createSerializer(new SerializerConfigImpl()));
            restored.initializeState(snapshot);
            restored.open();
            List<String> applied = new ArrayList<>();
            while (applied.size() < 2) { // both prepared and applied, in order, from the restored state
                while (!restored.hasMail()) {
                    Thread.sleep(5);
                }
                restored.runMails();
                applied.addAll(events(restored));
            }
            assertThat(applied).containsExactly("SERVING 2 ", "SERVING 1 ");
            restored.processElement1(request("b", 3), 0);
            assertThat(outputs(restored)).containsExactly("b 1 3.0");
        }
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
