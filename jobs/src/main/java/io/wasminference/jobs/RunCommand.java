package io.wasminference.jobs;

import io.wasminference.jobs.cli.Args;
import io.wasminference.jobs.kafka.InferenceJob;
import io.wasminference.jobs.kafka.JobOptions;
import io.wasminference.jobs.kafka.Preflight;
import io.wasminference.jobs.local.LocalRun;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.PrintStream;
import java.time.Duration;

/**
 * {@code run ...}: the Kafka inference job, locally under {@code java -jar} (a MiniCluster in this JVM, with durable
 * checkpoints it resumes from, see {@link LocalRun}) or on a cluster via {@code flink run}.
 */
final class RunCommand {
    static final String USAGE = "run --bootstrap HOST:PORT --model MODEL [options]\n"
            + "    The Kafka -> wasm inference -> Kafka job (exactly-once by default). Run locally, it keeps its\n"
            + "    checkpoints in --checkpoint-dir and, started again, resumes from the newest one. Options:\n"
            + JobOptions.help();

    private RunCommand() {}

    static int run(String[] argv, PrintStream out) throws Exception {
        JobOptions options = JobOptions.parse(argv, 1);
        String name = "wasm-inference " + options.inputTopic() + " -> " + options.outputTopic();
        boolean local = isLocal();
        Preflight.check(options, local, out);
        return local ? LocalRun.run(options, name, out) : onCluster(options, name, out);
    }

    /** Outside {@code flink run} (no cluster context), Flink hands out a local environment: we run the job here. */
    static boolean isLocal() {
        return StreamExecutionEnvironment.getExecutionEnvironment() instanceof LocalStreamEnvironment;
    }

    /** Under {@code flink run}, REST or application mode: the cluster owns checkpoints, HA and restarts. */
    private static int onCluster(JobOptions options, String name, PrintStream out) throws Exception {
        if (options.flag("fresh") || !options.fromCheckpoint().isEmpty()) {
            throw new Args.UsageException("--fresh and --from-checkpoint are for local runs; on a cluster, start "
                    + "without state by default, or from a checkpoint with `flink run -s PATH`");
        }
        Configuration conf = new Configuration();
        if (!options.checkpointDir().isEmpty()) {
            conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
            conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, options.checkpointDir());
            conf.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
                    ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        }
        if (options.restartAttempts().isPresent()) {
            conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
            conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS,
                    options.restartAttempts().getAsInt());
            conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY,
                    Duration.ofMillis(options.integer("restart-delay-ms")));
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        InferenceJob.build(env, options);
        out.println("submitting: " + options.inputTopic() + " -> " + options.model() + " -> " + options.outputTopic()
                + " (dead letters: " + options.deadLetterTopic() + ", " + options.delivery() + ")");
        env.execute(name);
        return 0;
    }
}
