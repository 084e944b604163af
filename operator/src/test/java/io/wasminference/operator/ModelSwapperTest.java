package io.wasminference.operator;

import io.wasminference.model.ModelManifest;
import io.wasminference.model.ModelRef;
import io.wasminference.model.ModelRepository;
import io.wasminference.model.ModelVersion;
import io.wasminference.record.ModelCommand;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.runtime.WasmModel;
import io.wasminference.testutils.Fixtures;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The swapper on its own, without Flink: what its thread does when the operator closes. */
@Timeout(120)
class ModelSwapperTest {
    @TempDir
    Path dir;
    private ModelRepository repo;
    private WasmModel v1;
    private List<ModelVersion> history;

    @BeforeEach
    void repository() throws Exception {
        repo = new ModelRepository(dir.resolve("repo").toString());
        ModelManifest m = repo.publish(Fixtures.wasm("identity"), List.of(), SandboxLimits.defaults());
        // version 4's start function loops forever: written by hand, publish would refuse it
        Path hostile = Files.createDirectories(dir.resolve("repo/identity/4"));
        byte[] bytes = Fixtures.wasm("identity_hostile");
        Files.write(hostile.resolve("model.wasm"), bytes);
        Files.writeString(hostile.resolve("manifest.json"), new ModelManifest("identity", "4",
                WasmModel.sha256(bytes), bytes.length, "2026-11-26T00:00:00Z", 8, List.of("x f32 4"),
                List.of("y f32 4"), List.of()).toJson());
        v1 = WasmModel.load(Fixtures.wasm("identity"), SandboxLimits.defaults());
        history = List.of(new ModelVersion("identity", "1", m.sha256(), repo.ref(m).location()));
    }

    private ModelSwapper swapper(Duration startupTimeout) {
        InferenceConfig config = WasmInference.model(ModelRef.of(history.get(0).location()))
                .repository(repo)
                .limits(SandboxLimits.defaults().withStartupTimeout(startupTimeout))
                .config();
        return new ModelSwapper(config, 7, () -> { });
    }

    /** Until the swap thread is inside the sandbox's instantiation, where only the start-up deadline stops it. */
    private static void awaitCandidateStartingUp() throws InterruptedException {
        while (true) {
            for (Map.Entry<Thread, StackTraceElement[]> t : Thread.getAllStackTraces().entrySet()) {
                if (t.getKey().getName().equals("wasm-inference-model-swap-7") && Arrays.stream(t.getValue())
                        .anyMatch(f -> f.getClassName().equals("io.wasminference.runtime.Sandbox")
                                && f.getMethodName().equals("create"))) {
                    return;
                }
            }
            Thread.sleep(5);
        }
    }

    @Test
    void thePendingQueueIsBoundedButCommandsRestoredFromACheckpointAreAllKept() {
        ModelSwapper swapper = swapper(Duration.ofSeconds(1));
        for (int i = 0; i < ModelSwapper.MAX_PENDING_COMMANDS; i++) {
            assertThat(swapper.submit(ModelCommand.deploy("identity", "2"))).isNull();
        }
        assertThat(swapper.submit(ModelCommand.rollback("identity")))
                .startsWith("32 control commands are pending already");
        assertThat(swapper.pendingCommands()).hasSize(ModelSwapper.MAX_PENDING_COMMANDS);

        // a checkpoint of a release without the bound may hold more: none is dropped, new ones wait for room
        ModelSwapper restored = swapper(Duration.ofSeconds(1));
        List<ModelCommand> many = java.util.Collections.nCopies(40, ModelCommand.deploy("identity", "2"));
        restored.restore(many);
        assertThat(restored.pendingCommands()).isEqualTo(many);
        assertThat(restored.submit(ModelCommand.rollback("identity"))).startsWith("40 control commands");
        swapper.close();
        restored.close();
        v1.close();
    }

    @Test
    void closeWaitsForACandidateThatIsStillStartingUp() throws Exception {
        ModelSwapper swapper = swapper(Duration.ofSeconds(1));
        swapper.submit(ModelCommand.deploy("identity", "4"));
        swapper.startNext(v1.metadata(), history);
        awaitCandidateStartingUp();
        swapper.close();
        // Without the join, close() returned at once and the candidate's start function kept running (for the whole
        // start-up deadline) on a thread nobody owned any more.
        assertThat(swapper.stopped()).isTrue();
        v1.close();
    }

    @Test
    void aSwapThreadThatDoesNotStopInTimeIsAbandonedAndStillCleansUp() throws Exception {
        ModelSwapper swapper = swapper(Duration.ofSeconds(10));
        swapper.submit(ModelCommand.deploy("identity", "4"));
        swapper.startNext(v1.metadata(), history);
        awaitCandidateStartingUp();
        assertThat(swapper.stop(Duration.ofMillis(200))).as("stopped within 200 ms of a 10 s start-up").isFalse();
        assertThat(swapper.stop(Duration.ofSeconds(60))).as("ends at the candidate's deadline").isTrue();
        v1.close();
    }
}
