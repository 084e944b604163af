package io.wasminference.operator;

import io.wasminference.model.ModelManifest;
import io.wasminference.model.ModelRef;
import io.wasminference.model.ModelRepository;
import io.wasminference.record.InferenceRequest;
import io.wasminference.record.ModelCommand;
import io.wasminference.record.ModelEvent;
import io.wasminference.record.Prediction;
import io.wasminference.record.RecordTypeInfos;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.runtime.WasmModel;
import io.wasminference.tensor.Tensor;
import io.wasminference.testutils.FailOnce;
import io.wasminference.testutils.Fixtures;
import io.wasminference.testutils.TestEnvironments;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Swapping models while the job runs: deploy mid-stream, refusals, rollback, and recovery after a swap. The model
 * 'identity' v1 returns y = x, v2 returns y = 2x, so every prediction shows which version produced it.
 */
@Timeout(300)
class HotSwapITCase {
    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

    @TempDir
    Path dir;
    private ModelRepository repo;

    @BeforeEach
    void publishVersions() throws Exception {
        repo = new ModelRepository(dir.resolve("repo").toString());
        String golden = "{\"inputs\": {\"x\": {\"shape\": [4], \"data\": [1, 2, 3, 4]}}, "
                + "\"outputs\": {\"y\": {\"shape\": [4], \"data\": [2, 4, 6, 8]}}}";
        repo.publish(Fixtures.wasm("identity"), List.of(), SandboxLimits.defaults());
        repo.publish(Fixtures.wasm("identity_v2"), List.of(golden), SandboxLimits.defaults());
        repo.publish(Fixtures.wasm("identity_wide"), List.of(), SandboxLimits.defaults());
    }

    /** Request i carries x = [i, i, i, i]. */
    static final class Requests implements GeneratorFunction<Long, InferenceRequest> {
        @Override
        public InferenceRequest map(Long i) {
            float v = i + 1;
            return InferenceRequest.of("r-" + i, Map.of("x", Tensor.ofFloats(new int[] {4}, v, v, v, v)));
        }
    }

    /** The i-th command of a fixed script (one per second). */
    static final class Script implements GeneratorFunction<Long, ModelCommand> {
        private final List<ModelCommand> commands;

        Script(List<ModelCommand> commands) {
            this.commands = commands;
        }

        @Override
        public ModelCommand map(Long i) {
            return commands.get(i.intValue());
        }
    }

    /** "subtask version id": which subtask's instance served which record, in the order it did. */
    static final class Tap extends RichMapFunction<Prediction, String> {
        @Override
        public String map(Prediction p) {
            int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
            float x = Float.parseFloat(p.id().substring(2)) + 1;
            float y = p.outputs().get("y").toFloats()[0];
            String producedBy = y == x ? "1" : y == 2 * x ? "2" : "?";
            return subtask + " " + p.modelVersion() + " " + producedBy + " " + p.id();
        }
    }

    private DataStream<String> pipeline(StreamExecutionEnvironment env, int records, double perSecond,
            List<ModelCommand> script, List<ModelEvent> events) {
        env.setParallelism(2);
        DataStream<InferenceRequest> requests = env.fromSource(new DataGeneratorSource<>(new Requests(), records,
                RateLimiterStrategy.perSecond(perSecond), RecordTypeInfos.REQUEST),
                WatermarkStrategy.noWatermarks(), "requests").uid("requests");
        DataStream<ModelCommand> commands = env.fromSource(new DataGeneratorSource<>(new Script(script),
                script.size(), RateLimiterStrategy.perSecond(1), RecordTypeInfos.COMMAND),
                WatermarkStrategy.noWatermarks(), "commands").setParallelism(1).uid("commands");
        InferenceResult result = WasmInference.model(ModelRef.of(dir.resolve("repo/identity/1/model.wasm").toString()))
                .repository(repo)
                .batchSize(8)
                .maxBatchDelay(Duration.ofMillis(20))
                .limits(SandboxLimits.defaults().withStartupTimeout(Duration.ofMillis(500)))
                .applyWithControl(requests, commands);
        return result.predictions().map(new Tap()).returns(Types.STRING)
                .union(result.modelEvents().map(e -> "E " + e.subtask() + " " + e.status() + " " + e.command()
                        + " " + e.servingVersion() + " " + e.reason()).returns(Types.STRING));
    }

    @Test
    void aVersionDeployedMidStreamTakesOverWithoutLosingOrDuplicatingRecords() throws Exception {
        int n = 1200;
        StreamExecutionEnvironment env = TestEnvironments.env();
        List<String> out = WasmInferenceITCase.collect(pipeline(env, n, 400, List.of(
                ModelCommand.deploy("other-model", "1"),  // not ours: ignored
                ModelCommand.deploy("identity", "2")), null)); // at about 1 s, a third of the way in

        List<String> predictions = out.stream().filter(s -> !s.startsWith("E ")).toList();
        assertThat(predictions).hasSize(n);
        assertThat(predictions.stream().map(s -> s.split(" ")[3]).distinct().count()).isEqualTo(n);
        // every prediction carries the version whose output it holds
        assertThat(predictions).allSatisfy(s -> assertThat(s.split(" ")[1]).isEqualTo(s.split(" ")[2]));
        assertThat(predictions).anyMatch(s -> s.split(" ")[1].equals("1"));
        assertThat(predictions).anyMatch(s -> s.split(" ")[1].equals("2"));
        // per subtask, versions never go backwards
        for (String subtask : List.of("0", "1")) {
            List<String> versions = predictions.stream().filter(s -> s.startsWith(subtask + " "))
                    .map(s -> s.split(" ")[1]).toList();
            int firstV2 = versions.indexOf("2");
            assertThat(firstV2).as("subtask %s switched", subtask).isGreaterThanOrEqualTo(0);
            assertThat(versions.subList(firstV2, versions.size())).as("subtask %s", subtask).containsOnly("2");
        }
        List<String> events = out.stream().filter(s -> s.startsWith("E ")).toList();
        assertThat(events).filteredOn(e -> e.contains("SERVING deploy identity:2 2")).hasSize(2);
        assertThat(events).filteredOn(e -> e.contains("IGNORED deploy other-model:1")).hasSize(2);
    }

    @Test
    void badVersionsAreRefusedAndTheOldOneKeepsServing() throws Exception {
        // A hostile version 4 written straight into the repository (publish would refuse it), and version 2 whose
        // bytes were tampered with after publication.
        Path hostile = Files.createDirectories(dir.resolve("repo/identity/4"));
        byte[] hostileBytes = Fixtures.wasm("identity_hostile");
        Files.write(hostile.resolve("model.wasm"), hostileBytes);
        Files.writeString(hostile.resolve("manifest.json"), new ModelManifest("identity", "4",
                WasmModel.sha256(hostileBytes), hostileBytes.length, "2026-11-26T00:00:00Z", 8,
                List.of("x f32 4"), List.of("y f32 4"), List.of()).toJson());
        Files.write(dir.resolve("repo/identity/2/model.wasm"), Fixtures.wasm("identity"));

        StreamExecutionEnvironment env = TestEnvironments.env();
        List<String> out = WasmInferenceITCase.collect(pipeline(env, 2400, 400, List.of(
                ModelCommand.deploy("identity", "3"),    // incompatible input shape
                ModelCommand.deploy("identity", "4"),    // start function never returns
                ModelCommand.deploy("identity", "2"),    // sha256 does not match its manifest
                ModelCommand.deploy("identity", "9"),    // never published
                ModelCommand.rollback("identity")), null)); // nothing to roll back to

        List<String> predictions = out.stream().filter(s -> !s.startsWith("E ")).toList();
        assertThat(predictions).hasSize(2400).allSatisfy(s -> assertThat(s.split(" ", 3)[1]).isEqualTo("1"));
        List<String> events = out.stream().filter(s -> s.startsWith("E ")).toList();
        assertThat(events).hasSize(10);
        assertThat(events).filteredOn(e -> e.contains("REFUSED deploy identity:3 1")
                && e.contains("a hot swap needs the same inputs")).hasSize(2);
        assertThat(events).filteredOn(e -> e.contains("REFUSED deploy identity:4 1")
                && e.contains("did not finish instantiation")).hasSize(2);
        assertThat(events).filteredOn(e -> e.contains("REFUSED deploy identity:2 1")
                && e.contains("was expected: the file changed")).hasSize(2);
        assertThat(events).filteredOn(e -> e.contains("REFUSED deploy identity:9 1")
                && e.contains("is not published in")).hasSize(2);
        assertThat(events).filteredOn(e -> e.contains("IGNORED rollback identity 1")
                && e.contains("no earlier version")).hasSize(2);
    }

    /** Fails the job once, after {@code after} predictions of version 2. */
    static final class FailAfterSwap extends RichMapFunction<String, String> {
        static final AtomicBoolean FAILED = new AtomicBoolean();
        private int seenV2;

        @Override
        public String map(String s) {
            if (!s.startsWith("E ") && s.split(" ")[1].equals("2") && ++seenV2 == 300
                    && FAILED.compareAndSet(false, true)) {
                throw new IllegalStateException("injected failure after the swap");
            }
            return s;
        }
    }

    @Test
    void aFailureAfterASwapRestoresTheSwappedVersionAndARollbackGoesBack() throws Exception {
        FailAfterSwap.FAILED.set(false);
        StreamExecutionEnvironment env = TestEnvironments.env(FailOnce.restartingJob());
        env.enableCheckpointing(200);
        int n = 2400;
        List<String> out = WasmInferenceITCase.collect(pipeline(env, n, 400, new ArrayList<>(List.of(
                ModelCommand.deploy("other-model", "1"),
                ModelCommand.deploy("identity", "2"),
                ModelCommand.deploy("other-model", "1"),
                ModelCommand.deploy("other-model", "1"),
                ModelCommand.rollback("identity"))), null).map(new FailAfterSwap()).returns(Types.STRING));

        assertThat(FailAfterSwap.FAILED).isTrue();
        List<String> predictions = out.stream().filter(s -> !s.startsWith("E ")).toList();
        assertThat(predictions).hasSize(n);
        assertThat(predictions.stream().map(s -> s.split(" ")[3]).distinct().count()).isEqualTo(n);
        assertThat(predictions).allSatisfy(s -> assertThat(s.split(" ")[1]).isEqualTo(s.split(" ")[2]));
        // The failure struck while v2 served; after recovery v2 still served (restored from the checkpoint, not
        // from a replayed command: the command's offset was checkpointed), until the rollback at about 4 s.
        for (String subtask : List.of("0", "1")) {
            List<String> versions = predictions.stream().filter(s -> s.startsWith(subtask + " "))
                    .map(s -> s.split(" ")[1]).toList();
            int firstV2 = versions.indexOf("2");
            int lastV2 = versions.lastIndexOf("2");
            assertThat(firstV2).isGreaterThan(0);
            assertThat(versions.subList(0, firstV2)).containsOnly("1");
            assertThat(versions.subList(firstV2, lastV2 + 1)).containsOnly("2");
            assertThat(versions.subList(lastV2 + 1, versions.size())).as("after the rollback").containsOnly("1")
                    .isNotEmpty();
        }
        // The rollback found v1 in the restored history: had recovery lost the swap, it would have been ignored.
        assertThat(out).filteredOn(e -> e.startsWith("E ") && e.contains("SERVING rollback identity 1")).hasSize(2);
    }
}
