package io.wasminference.savepoints;

import io.wasminference.model.ModelRef;
import io.wasminference.model.ModelVersion;
import io.wasminference.model.ServingState;
import io.wasminference.operator.InferenceResult;
import io.wasminference.operator.WasmInference;
import io.wasminference.record.DeadLetter;
import io.wasminference.record.InferenceRequest;
import io.wasminference.record.Prediction;
import io.wasminference.record.RecordTypeInfos;
import io.wasminference.runtime.WasmModel;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Makes (and checks) the savepoint of a DataStream job that uses the public operator API, with the code of the
 * release this runs on (665f8e1). Not a test of the build: run it by name.
 *
 * <pre>
 * mvn -o -pl operator test -Dtest=OperatorReleaseSavepointGenerator#generate -Dsavepoints.dir=DIR
 * mvn -o -pl operator test -Dtest=OperatorReleaseSavepointGenerator#verify -Dsavepoints.dir=DIR
 * </pre>
 *
 * The job: {@value #RECORDS} requests of the fashion-lenet5 test set (DataGeneratorSource, uid {@value #SOURCE_UID},
 * 100/s) into {@code WasmInference.model(classpath:samples/fashion-lenet5/model.wasm).uid(UID).batchSize(16)
 * .apply(...)} (uid {@value #UID}), predictions and dead letters into stateless sinks (uids {@value #SINK_UID},
 * {@value #DEAD_LETTER_UID}); parallelism 2. Stopped with a canonical savepoint after at least
 * {@value #BEFORE_SAVEPOINT} predictions.
 */
@Timeout(300)
class OperatorReleaseSavepointGenerator {
    static final String NAME = "datastream-operator";
    static final String MODEL = "classpath:samples/fashion-lenet5/model.wasm";
    static final String UID = "fashion-inference";
    static final String SOURCE_UID = "requests";
    static final String SINK_UID = "predictions";
    static final String DEAD_LETTER_UID = "dead-letters";
    static final int RECORDS = 1000;
    static final int BEFORE_SAVEPOINT = 300;

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

    @TempDir
    Path tmp;

    static void pipeline(StreamExecutionEnvironment env, ModelRef model, double perSecond) {
        env.setParallelism(2);
        DataStream<InferenceRequest> requests = env.fromSource(
                new DataGeneratorSource<>(new TestSetGenerator("fashion-lenet5"), RECORDS,
                        RateLimiterStrategy.perSecond(perSecond), RecordTypeInfos.REQUEST),
                WatermarkStrategy.noWatermarks(), "fashion test set").uid(SOURCE_UID);
        InferenceResult result = WasmInference.model(model).uid(UID).batchSize(16).apply(requests);
        result.predictions().sinkTo(new TallySink<Prediction>(p -> p.modelName() + ":" + p.modelVersion()))
                .uid(SINK_UID).name(SINK_UID);
        result.deadLetters().sinkTo(new TallySink<DeadLetter>(d -> "dead-letter " + d.errorKind()))
                .uid(DEAD_LETTER_UID).name(DEAD_LETTER_UID);
    }

    static Configuration conf() {
        Configuration conf = new Configuration();
        // What the renovated code's tests use: the release job must not need Kryo either.
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        return conf;
    }

    @Test
    void generate() throws Exception {
        TallySink.reset();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf());
        pipeline(env, ModelRef.of(MODEL), 100);
        JobClient job = env.executeAsync("release savepoint: " + NAME);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (TallySink.count("fashion-lenet5:1.0.0") < BEFORE_SAVEPOINT) {
            assertThat(System.nanoTime()).as("predictions so far: %s", TallySink.counts()).isLessThan(deadline);
            assertThat(job.getJobStatus().get()).isIn(JobStatus.CREATED, JobStatus.INITIALIZING, JobStatus.RUNNING);
            Thread.sleep(100);
        }
        String written = job.stopWithSavepoint(false, tmp.resolve("staging").toUri().toString(),
                SavepointFormatType.CANONICAL).get(120, TimeUnit.SECONDS);
        Map<String, Long> processed = TallySink.counts();
        System.out.println("processed before the savepoint: " + processed);
        assertThat(processed).containsOnlyKeys("fashion-lenet5:1.0.0");

        // Relocate: the savepoint must not depend on the directory Flink wrote it to.
        Path out = SavepointFiles.outputRoot().resolve(NAME);
        SavepointFiles.move(SavepointFiles.local(written), out);
        Files.writeString(out.resolve("GENERATED.txt"), "written to " + written + "\nmoved to " + out
                + "\npredictions before the savepoint: " + processed + "\n");
        System.out.println(SavepointInspector.report(out, UID));
        checkState(out);
    }

    /** Restores the relocated savepoint (copied once more) with the release code and checks what is served. */
    @Test
    void verify() throws Exception {
        Path copy = tmp.resolve("elsewhere/" + NAME);
        SavepointFiles.copy(SavepointFiles.outputRoot().resolve(NAME), copy);
        checkState(copy);
        TallySink.reset();
        Configuration conf = conf();
        conf.set(StateRecoveryOptions.SAVEPOINT_PATH, copy.toUri().toString());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        // Another default model: a restored job ignores it and serves the checkpointed version. Without the state
        // digits-mlp would serve and every fashion record would be a dead letter.
        pipeline(env, ModelRef.of("classpath:samples/digits-mlp/model.wasm"), 1000);
        env.execute("restore " + NAME);
        Map<String, Long> counts = TallySink.counts();
        System.out.println("after restore: " + counts);
        assertThat(counts).containsOnlyKeys("fashion-lenet5:1.0.0");
        assertThat(counts.get("fashion-lenet5:1.0.0")).isGreaterThan(0).isLessThanOrEqualTo(RECORDS - BEFORE_SAVEPOINT);
    }

    static void checkState(Path savepoint) throws Exception {
        String sha = WasmModel.sha256(ModelRef.of(MODEL).load());
        ModelVersion v1 = new ModelVersion("fashion-lenet5", "1.0.0", sha, MODEL);
        Map<Integer, List<ServingState>> state = SavepointInspector.servingStates(savepoint, UID);
        assertThat(state).containsOnlyKeys(0, 1);
        state.forEach((subtask, entries) -> {
            assertThat(entries).hasSize(1);
            assertThat(entries.get(0)).isEqualTo(new ServingState(subtask, List.of(v1), List.of()));
        });
    }
}
