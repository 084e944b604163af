package io.wasminference.operator;

import io.wasminference.model.ModelRef;
import io.wasminference.model.ModelRepository;
import io.wasminference.record.DeadLetter;
import io.wasminference.record.InferenceRequest;
import io.wasminference.record.ModelCommand;
import io.wasminference.record.ModelEvent;
import io.wasminference.record.Prediction;
import io.wasminference.record.RecordTypeInfos;
import io.wasminference.testutils.ReleaseSavepoints;
import io.wasminference.testutils.TallySink;
import io.wasminference.testutils.TestEnvironments;
import io.wasminference.testutils.TestSetGenerator;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The savepoint of a DataStream job taken with release 0.1 (test resources {@code savepoints/release-0.1/}, see the
 * README there) restores in this code: the restored operator serves exactly the checkpointed version and history,
 * not the default it is configured with, and the job carries on where it stopped.
 *
 * <p>The release job: 1000 requests of the fashion-lenet5 test set (uid {@code requests}, parallelism 2) into
 * {@code WasmInference.model(classpath:samples/fashion-lenet5/model.wasm).uid("fashion-inference").batchSize(16)},
 * stopped with a savepoint after 312 predictions. Its state holds, per subtask, the history [fashion-lenet5:1.0.0]
 * and no pending command. Every restore below configures digits-mlp as the default: had the state been lost,
 * digits-mlp would serve and every fashion record would become a dead letter.
 */
@Timeout(300)
class ReleaseSavepointRestoreITCase {
    private static final String OTHER_DEFAULT = "classpath:samples/digits-mlp/model.wasm";
    private static final int RECORDS = 1000;
    /** Predictions made before the release's savepoint; the source's state resumes after them. */
    private static final int BEFORE_SAVEPOINT = 312;
    private static final String SERVED = "fashion-lenet5:1.0.0";

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

    @TempDir
    Path tmp;

    @BeforeEach
    void resetCounts() {
        TallySink.reset();
    }

    @Test
    void theReleaseSavepointServesTheCheckpointedVersionAndTheJobCarriesOn() throws Exception {
        StreamExecutionEnvironment env = TestEnvironments.env(restoreFrom(release()));
        InferenceResult result = WasmInference.model(ModelRef.of(OTHER_DEFAULT)).uid(ReleaseSavepoints.DATASTREAM_UID)
                .batchSize(16).apply(requests(env, 1000));
        tally(result);
        env.execute("restore the release savepoint");

        // Exactly the records after the savepoint, each once, all by the checkpointed version.
        assertThat(TallySink.counts()).isEqualTo(Map.of(SERVED, (long) (RECORDS - BEFORE_SAVEPOINT)));
    }

    @Test
    void theRestoredHistoryHoldsExactlyTheCheckpointedVersion() throws Exception {
        // The same operator uid with a control stream: the state restores into it, and a rollback shows the
        // history. Had the default been added to it, the rollback would switch to fashion-lenet5:1.0.0.
        StreamExecutionEnvironment env = TestEnvironments.env(restoreFrom(release()));
        DataStream<ModelCommand> commands = env.fromData(List.of(ModelCommand.rollback("fashion-lenet5")),
                RecordTypeInfos.COMMAND).setParallelism(1);
        InferenceResult result = WasmInference.model(ModelRef.of(OTHER_DEFAULT)).uid(ReleaseSavepoints.DATASTREAM_UID)
                .batchSize(16).repository(new ModelRepository(tmp.resolve("repo").toString()))
                .applyWithControl(requests(env, 1000), commands);
        tally(result);
        result.modelEvents().sinkTo(new TallySink<ModelEvent>(e -> "event " + e.status() + " " + e.command() + " "
                + e.modelName() + ":" + e.servingVersion() + " " + e.reason())).name("events");
        env.execute("restore the release savepoint with a control stream");

        assertThat(TallySink.counts()).isEqualTo(Map.of(
                SERVED, (long) (RECORDS - BEFORE_SAVEPOINT),
                "event IGNORED rollback fashion-lenet5 fashion-lenet5:1.0.0 no earlier version to roll back to", 2L));
    }

    @Test
    void aSavepointOfTheRestoredJobRestoresTooWithNothingLostOrRepeated() throws Exception {
        // Restored slowly, stopped with a savepoint of this code midway, restored again.
        StreamExecutionEnvironment env1 = TestEnvironments.env(restoreFrom(release()));
        tally(WasmInference.model(ModelRef.of(OTHER_DEFAULT)).uid(ReleaseSavepoints.DATASTREAM_UID).batchSize(16)
                .apply(requests(env1, 100)));
        JobClient job = env1.executeAsync("restore the release savepoint, then stop with a savepoint");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (TallySink.count(SERVED) < 100) {
            assertThat(System.nanoTime()).as("predictions so far: %s", TallySink.counts()).isLessThan(deadline);
            assertThat(job.getJobStatus().get()).isIn(JobStatus.CREATED, JobStatus.INITIALIZING, JobStatus.RUNNING);
            Thread.sleep(50);
        }
        String second = job.stopWithSavepoint(false, tmp.resolve("second").toUri().toString(),
                SavepointFormatType.CANONICAL).get(120, TimeUnit.SECONDS);
        long first = TallySink.count(SERVED);
        assertThat(first).isLessThan(RECORDS - BEFORE_SAVEPOINT);
        // written as typed state, one entry per subtask; release 0.1's state read once and emptied, so it does not
        // double on every restore (restored union state that nobody clears is kept)
        Path secondDir = Path.of(java.net.URI.create(second));
        assertThat(ReleaseSavepoints.operatorStateElements(secondDir, ServingStateStore.STATE_NAME))
                .containsExactly(1, 1);
        assertThat(ReleaseSavepoints.operatorStateElements(secondDir, LegacyServingState.STATE_NAME))
                .allMatch(n -> n == 0);
        assertThat(ReleaseSavepoints.operatorStateElements(ReleaseSavepoints.copy(ReleaseSavepoints.DATASTREAM,
                tmp.resolve("inspect")), LegacyServingState.STATE_NAME)).containsExactly(1, 1);

        StreamExecutionEnvironment env2 = TestEnvironments.env(restoreFrom(second));
        tally(WasmInference.model(ModelRef.of(OTHER_DEFAULT)).uid(ReleaseSavepoints.DATASTREAM_UID).batchSize(16)
                .apply(requests(env2, 1000)));
        env2.execute("restore the second savepoint");

        assertThat(TallySink.counts()).isEqualTo(Map.of(SERVED, (long) (RECORDS - BEFORE_SAVEPOINT)));
    }

    /** The release job's source (uid and split state must match), at {@code perSecond}. */
    private static DataStream<InferenceRequest> requests(StreamExecutionEnvironment env, double perSecond) {
        env.setParallelism(2);
        return env.fromSource(new DataGeneratorSource<>(new TestSetGenerator("fashion-lenet5"), RECORDS,
                        RateLimiterStrategy.perSecond(perSecond), RecordTypeInfos.REQUEST),
                WatermarkStrategy.noWatermarks(), "fashion test set").uid("requests");
    }

    private static void tally(InferenceResult result) {
        result.predictions().sinkTo(new TallySink<Prediction>(p -> p.modelName() + ":" + p.modelVersion()))
                .uid("predictions").name("predictions");
        result.deadLetters().sinkTo(new TallySink<DeadLetter>(d -> "dead letter " + d.errorKind() + " "
                + d.modelName() + ":" + d.modelVersion())).uid("dead-letters").name("dead-letters");
    }

    private String release() {
        return ReleaseSavepoints.copy(ReleaseSavepoints.DATASTREAM, tmp.resolve("release")).toUri().toString();
    }

    private static Configuration restoreFrom(String savepoint) {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        return conf;
    }
}
