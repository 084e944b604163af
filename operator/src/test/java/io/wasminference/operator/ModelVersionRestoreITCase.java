package io.wasminference.operator;

import io.wasminference.model.ModelRef;
import io.wasminference.record.InferenceRequest;
import io.wasminference.record.Prediction;
import io.wasminference.record.RecordTypeInfos;
import io.wasminference.testutils.Fixtures;
import io.wasminference.testutils.TestEnvironments;
import io.wasminference.testutils.TestSetGenerator;
import io.wasminference.testutils.WasmRewriter;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.ExceptionUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The operator checkpoints the model it serves: restored from a savepoint it serves exactly that version, even
 * with another default configured, and fails clearly when that version is gone.
 */
@Timeout(300)
class ModelVersionRestoreITCase {
    private static final int RECORDS = 800;

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

    @TempDir
    Path dir;

    @Test
    void aRestoredJobServesTheCheckpointedVersionAndFailsClearlyWhenItIsGone() throws Exception {
        byte[] v1 = Fixtures.sample("digits-mlp", "model.wasm");
        byte[] v2 = WasmRewriter.withMetadata(v1,
                WasmRewriter.metadataText(v1).replace("version: 1.0.0", "version: 2.0.0"));
        Path v1File = Files.write(dir.resolve("digits-v1.wasm"), v1);
        Path v2File = Files.write(dir.resolve("digits-v2.wasm"), v2);

        // Job 1 serves v1 and is stopped with a savepoint mid-stream.
        StreamExecutionEnvironment env1 = TestEnvironments.env();
        pipeline(env1, ModelRef.of(v1File.toString())).sinkTo(new DiscardingSink<>());
        JobClient job1 = env1.executeAsync("serve v1");
        String savepoint = stopWithSavepoint(job1);

        // Job 2: restored with v2 configured as the default: still v1 everywhere.
        StreamExecutionEnvironment env2 = TestEnvironments.env(restoreFrom(savepoint));
        List<Prediction> restored = WasmInferenceITCase.collect(pipeline(env2, ModelRef.of(v2File.toString())));
        assertThat(restored).isNotEmpty().hasSizeLessThan(RECORDS);
        assertThat(restored).allSatisfy(p -> assertThat(p.modelVersion()).isEqualTo("1.0.0"));

        // Without the savepoint the configured default is served: the check above is not vacuous.
        StreamExecutionEnvironment fresh = TestEnvironments.env();
        List<Prediction> unrestored = WasmInferenceITCase.collect(pipeline(fresh, ModelRef.of(v2File.toString())));
        assertThat(unrestored).hasSize(RECORDS).allSatisfy(p -> assertThat(p.modelVersion()).isEqualTo("2.0.0"));

        // Job 3: the checkpointed version is gone: the task fails, naming the version and where it looked.
        Files.delete(v1File);
        StreamExecutionEnvironment env3 = TestEnvironments.env(restoreFrom(savepoint));
        DataStream<Prediction> doomed = pipeline(env3, ModelRef.of(v2File.toString()));
        assertThatThrownBy(() -> WasmInferenceITCase.collect(doomed))
                .satisfies(e -> assertThat(ExceptionUtils.stringifyException(e))
                        .contains("restored serving model digits-mlp:1.0.0")
                        .contains("cannot be loaded from " + v1File)
                        .contains("never switches models silently"));

        // A file with the same name but other content is refused too (sha256 pinned in the checkpoint).
        Files.write(v1File, v2);
        StreamExecutionEnvironment env4 = TestEnvironments.env(restoreFrom(savepoint));
        DataStream<Prediction> swapped = pipeline(env4, ModelRef.of(v2File.toString()));
        assertThatThrownBy(() -> WasmInferenceITCase.collect(swapped))
                .satisfies(e -> assertThat(ExceptionUtils.stringifyException(e))
                        .contains("digits-mlp:1.0.0")
                        .contains("was expected: the file changed"));
    }

    private static DataStream<Prediction> pipeline(StreamExecutionEnvironment env, ModelRef model) {
        env.setParallelism(2);
        DataStream<InferenceRequest> source = env.fromSource(
                new DataGeneratorSource<>(new TestSetGenerator("digits-mlp"), RECORDS,
                        RateLimiterStrategy.perSecond(100), RecordTypeInfos.REQUEST),
                WatermarkStrategy.noWatermarks(), "test-set").uid("test-set");
        return WasmInference.model(model).batchSize(16).apply(source).predictions();
    }

    private static Configuration restoreFrom(String savepoint) {
        Configuration conf = new Configuration();
        conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        return conf;
    }

    private String stopWithSavepoint(JobClient job) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            Thread.sleep(1000);
            if (job.getJobStatus().get() != JobStatus.RUNNING) {
                continue;
            }
            try {
                return job.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(),
                        SavepointFormatType.CANONICAL).get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
        }
    }
}
