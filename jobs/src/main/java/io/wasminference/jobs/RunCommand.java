package io.wasminference.jobs;

import io.wasminference.jobs.cli.UsageException;
import io.wasminference.jobs.kafka.InferenceJob;
import io.wasminference.jobs.kafka.InferenceJobOptions;
import io.wasminference.jobs.kafka.JobArguments;
import io.wasminference.jobs.kafka.JobOptions;
import io.wasminference.jobs.kafka.Preflight;
import io.wasminference.jobs.local.LocalRun;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;
import picocli.CommandLine;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code run ...}: the Kafka inference job, locally under {@code java -jar} (a MiniCluster in this JVM, with durable
 * checkpoints it resumes from, see {@link LocalRun}) or on a cluster via {@code flink run}. Its options are the
 * {@link InferenceJobOptions}, declared by {@link JobArguments}.
 */
@Command(name = "run",
        customSynopsis = "${COMMAND-FULL-NAME} --bootstrap HOST:PORT --model MODEL [OPTION]...",
        sortOptions = false,
        description = {
            "The Kafka -> wasm inference -> Kafka job, here or on a Flink cluster.",
            "",
            "Exactly-once by default. Run locally, it keeps its "
                + "checkpoints in --checkpoint-dir and, started again, resumes from the newest one; submitted with "
                + "`flink run` (or REST, or in application mode) the cluster runs it.",
            "",
            "Every option can also come from a properties file (--config FILE, keys without the dashes: "
                + "batch-size=32) or from the Flink configuration with the prefix "
                + InferenceJobOptions.FLINK_CONFIG_PREFIX + " in config.yaml or as -D: "
                + InferenceJobOptions.FLINK_CONFIG_PREFIX + "batch-size=32. Arguments win over the file, the "
                + "file over the Flink configuration."},
        footer = {
            "      --kafka.NAME=VALUE                  any Kafka client property, passed to the source and the sinks:",
            "                                            --kafka.security.protocol=SASL_SSL"})
final class RunCommand implements Callable<Integer> {
    private final PrintStream out;

    @Spec
    CommandSpec spec;

    /** The {@code --kafka.NAME VALUE} pairs, which no declared option matches. */
    @Unmatched
    List<String> unmatched = new ArrayList<>();

    private RunCommand(PrintStream out) {
        this.out = out;
    }

    /** The command with the job's options declared (they come from {@link InferenceJobOptions}, not fields). */
    static CommandLine commandLine(PrintStream out) {
        CommandLine command = new CommandLine(new RunCommand(out));
        JobArguments.addTo(command.getCommandSpec());
        return command;
    }

    @Override
    public Integer call() throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        // Under `flink run`, REST or application mode, the environment carries the cluster's configuration: its
        // wasm-inference.* keys are options too.
        JobOptions options = JobArguments.read(spec.commandLine().getParseResult(), unmatched)
                .flinkConfiguration(env.getConfiguration().toMap())
                .build();
        String name = "wasm-inference " + options.inputTopic() + " -> " + options.outputTopic();
        boolean local = isLocal();
        Preflight.check(options, local, out);
        return local ? LocalRun.run(options, name, out) : onCluster(options, name, out);
    }

    /** Outside {@code flink run} (no cluster context), Flink hands out a local environment: we run the job here. */
    static boolean isLocal() {
        return StreamExecutionEnvironment.getExecutionEnvironment() instanceof LocalStreamEnvironment;
    }

    /**
     * A note when wasmtime-java cannot be loaded where main() runs: the thin job jar leaves it to Flink's lib/, and a
     * TaskManager without it would fail every task. Only a note, since the client's lib/ may differ from theirs.
     */
    static Optional<String> wasmtimeMissing(ClassLoader loader) {
        try {
            Class.forName("io.github.kawamuray.wasmtime.Engine", false, loader);
            return Optional.empty();
        } catch (ClassNotFoundException e) {
            return Optional.of("note: wasmtime-java is not on the classpath here; the TaskManagers need its jar in "
                    + "Flink's lib/ (the job jar does not bundle it; see docs/operations.md)");
        }
    }

    /** Under {@code flink run}, REST or application mode: the cluster owns checkpoints, HA and restarts. */
    private static int onCluster(JobOptions options, String name, PrintStream out) throws Exception {
        if (options.get(InferenceJobOptions.FRESH) || options.fromCheckpoint().isPresent()) {
            throw new UsageException("--fresh and --from-checkpoint are for local runs; on a cluster, start "
                    + "without state by default, or from a checkpoint with `flink run -s PATH`");
        }
        Configuration conf = new Configuration();
        options.checkpointDir().ifPresent(dir -> {
            conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
            conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir);
            conf.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
                    ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        });
        options.getOptional(InferenceJobOptions.RESTART_ATTEMPTS).ifPresent(attempts -> {
            conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
            conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, attempts);
            conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY,
                    Duration.ofMillis(options.get(InferenceJobOptions.RESTART_DELAY_MS)));
        });
        wasmtimeMissing(RunCommand.class.getClassLoader()).ifPresent(out::println);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        InferenceJob.build(env, options);
        out.println("submitting: " + options.inputTopic() + " -> " + options.model() + " -> " + options.outputTopic()
                + " (dead letters: " + options.deadLetterTopic() + ", " + options.delivery() + ")");
        env.execute(name);
        return 0;
    }
}
