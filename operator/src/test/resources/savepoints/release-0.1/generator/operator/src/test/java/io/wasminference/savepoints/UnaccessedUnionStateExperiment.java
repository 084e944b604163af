package io.wasminference.savepoints;

import io.wasminference.record.InferenceRequest;
import io.wasminference.record.RecordTypeInfos;
import io.wasminference.testutils.TestSetGenerator;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * What happens to the release's union list state when a new operator under the same uid never registers it (say a
 * renovated operator that forgets the legacy state): is it dropped, or carried on (and multiplied by the union
 * redistribution) into the next savepoint? Prints the answer; run by name, twice chained.
 */
@Timeout(300)
class UnaccessedUnionStateExperiment {
    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

    @TempDir
    Path tmp;

    @Test
    void run() throws Exception {
        String from = SavepointFiles.outputRoot().resolve(OperatorReleaseSavepointGenerator.NAME).toUri().toString();
        for (int round = 1; round <= 2; round++) {
            Configuration conf = OperatorReleaseSavepointGenerator.conf();
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, from);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            env.setParallelism(2);
            env.fromSource(new DataGeneratorSource<>(new TestSetGenerator("fashion-lenet5"),
                            OperatorReleaseSavepointGenerator.RECORDS, RateLimiterStrategy.perSecond(20),
                            RecordTypeInfos.REQUEST), WatermarkStrategy.noWatermarks(), "fashion test set")
                    .uid(OperatorReleaseSavepointGenerator.SOURCE_UID)
                    // Same uid as the release's inference operator, but a stateless map.
                    .map(InferenceRequest::id).returns(Types.STRING).uid(OperatorReleaseSavepointGenerator.UID)
                    .sinkTo(new TallySink<String>(s -> "ids")).uid(OperatorReleaseSavepointGenerator.SINK_UID);
            JobClient job = env.executeAsync("unaccessed union state, round " + round);
            while (job.getJobStatus().get() != JobStatus.RUNNING) {
                Thread.sleep(200);
            }
            Thread.sleep(3000);
            String sp = job.stopWithSavepoint(false, tmp.resolve("round" + round).toUri().toString(),
                    SavepointFormatType.CANONICAL).get(120, TimeUnit.SECONDS);
            System.out.println("round " + round + ":\n" + SavepointInspector.report(SavepointFiles.local(sp), null));
            from = sp;
        }
    }
}
