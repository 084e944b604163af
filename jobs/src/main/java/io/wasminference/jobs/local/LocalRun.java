package io.wasminference.jobs.local;

import io.wasminference.jobs.cli.CommandFailure;
import io.wasminference.jobs.kafka.InferenceJob;
import io.wasminference.jobs.kafka.InferenceJobOptions;
import io.wasminference.jobs.kafka.JobOptions;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.client.deployment.executors.PipelineExecutorUtils;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.RecoveryClaimMode;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.runtime.minicluster.RpcServiceSharing;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;

/**
 * {@code run} without a cluster: the job on a MiniCluster in this JVM, with durable checkpoints.
 *
 * <p>Exactly-once across a crash of the JVM needs the state of the last completed checkpoint (the source's offsets
 * and the sink's pending Kafka transactions), not the consumer group's committed offsets, which Flink commits for
 * monitoring only and which lag. So a local run keeps its checkpoints in {@code --checkpoint-dir}/IDENTITY (the
 * identity is the {@code --group-id}, which also names the Kafka transactions), retained on cancel and crash, and
 * started again resumes from the newest completed one. {@code --fresh} and {@code --from-checkpoint} override that.
 * Failures and restarts are printed as they happen; the restart strategy is bounded.
 */
public final class LocalRun {
    private static final Logger LOG = LoggerFactory.getLogger(LocalRun.class);
    /** Restarts of a local run before it fails, unless {@code --restart-attempts} says otherwise. */
    public static final int DEFAULT_RESTART_ATTEMPTS = 3;

    private LocalRun() {}

    /** Builds, starts and watches the job until it ends; returns the exit code (0 if it finished). */
    public static int run(JobOptions o, String jobName, PrintStream out) throws Exception {
        LocalCheckpoints checkpoints;
        try {
            checkpoints = LocalCheckpoints.open(o.localCheckpointDir(), o.groupId());
        } catch (IllegalStateException e) {
            throw new CommandFailure(CommandFailure.REFUSED, e.getMessage());
        }
        try (checkpoints) {
            Configuration conf = new Configuration();
            Optional<String> restore = restorePoint(o, checkpoints, conf, out);
            Properties run = new Properties();
            run.setProperty("input-topic", o.inputTopic());
            checkpoints.recordRun(run);

            conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
            conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.directory().toUri().toString());
            conf.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
                    ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
            int attempts = o.getOptional(InferenceJobOptions.RESTART_ATTEMPTS).orElse(DEFAULT_RESTART_ATTEMPTS);
            conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
            conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, attempts);
            conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY,
                    Duration.ofMillis(o.get(InferenceJobOptions.RESTART_DELAY_MS)));

            conf.set(PipelineOptions.NAME, jobName);
            StreamExecutionEnvironment env = new StreamExecutionEnvironment(conf);
            InferenceJob.build(env, o);
            out.println("submitting: " + o.inputTopic() + " -> " + o.model() + " -> " + o.outputTopic()
                    + " (dead letters: " + o.deadLetterTopic() + ", " + o.delivery() + ", at most " + attempts
                    + " restarts)");
            JobStatus end;
            try (MiniCluster cluster = start(conf, o.get(InferenceJobOptions.PARALLELISM))) {
                JobID id = cluster.submitJob(streamGraph(env, conf)).get().getJobID();
                end = new JobWatcher(cluster, id, attempts, out).awaitEnd();
            }
            if (end == JobStatus.FINISHED) {
                // A finished (bounded) job's last checkpoint holds finished sources: resuming it would read nothing.
                // Its transactions and offsets are committed, so the next run starts from the committed offsets.
                checkpoints.deleteAll();
                out.println("finished; its checkpoints in " + checkpoints.directory() + " are removed (nothing to "
                        + "resume)");
                return 0;
            }
            restore.ifPresent(r -> out.println("(this run started from " + r + "; to start without that state: "
                    + "--fresh, or give another checkpoint with --from-checkpoint)"));
            return CommandFailure.FAILED;
        }
    }

    /**
     * Decides where the job starts and sets {@code conf} for it: {@code --from-checkpoint}, nothing with
     * {@code --fresh}, else the newest completed checkpoint of this identity, else nothing (the source then starts
     * from the group's committed offsets, or the earliest ones).
     */
    private static Optional<String> restorePoint(JobOptions o, LocalCheckpoints checkpoints, Configuration conf,
            PrintStream out) throws Exception {
        out.println("checkpoints: " + checkpoints.directory() + " (job identity: --group-id " + o.groupId() + ")");
        if (o.fromCheckpoint().isPresent()) {
            String path = o.fromCheckpoint().get();
            Path local = Path.of(path.startsWith("file:") ? java.net.URI.create(path).getPath() : path);
            if (!path.contains("://") && !Files.exists(local)) {
                throw new CommandFailure(CommandFailure.REFUSED, "--from-checkpoint " + path + " does not exist; "
                        + "give a chk-N or savepoint folder (or its _metadata file)");
            }
            // The user's checkpoint or savepoint stays theirs: Flink must not delete it once subsumed.
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, path);
            conf.set(StateRecoveryOptions.RESTORE_MODE, RecoveryClaimMode.NO_CLAIM);
            say(out, "restoring from " + path + " (--from-checkpoint)");
            return Optional.of(path);
        }
        if (o.get(InferenceJobOptions.FRESH)) {
            Optional<Path> retired = checkpoints.retireAll();
            say(out, "--fresh: starting without state, from the committed offsets of group " + o.groupId()
                    + retired.map(r -> "; the earlier checkpoints were moved to " + r).orElse(""));
            return Optional.empty();
        }
        Optional<LocalCheckpoints.Checkpoint> latest = checkpoints.latest();
        checkpoints.pruneExcept(latest);
        if (latest.isEmpty()) {
            say(out, "no checkpoint of this job yet: starting from the committed offsets of group " + o.groupId()
                    + " (the earliest offsets where it has none)");
            return Optional.empty();
        }
        String recordedTopic = checkpoints.recordedRun().getProperty("input-topic", o.inputTopic());
        if (!recordedTopic.equals(o.inputTopic())) {
            throw new CommandFailure(CommandFailure.REFUSED, "the checkpoints in " + checkpoints.directory()
                    + " were taken reading " + recordedTopic + ", not " + o.inputTopic() + "; resuming them would "
                    + "read the old topic. Start this job with another --group-id, or with --fresh to leave them");
        }
        LocalCheckpoints.Checkpoint c = latest.get();
        // The run owns these checkpoints: once the restored job has completed a newer one, Flink may delete this.
        conf.set(StateRecoveryOptions.SAVEPOINT_PATH, c.directory().toUri().toString());
        conf.set(StateRecoveryOptions.RESTORE_MODE, RecoveryClaimMode.CLAIM);
        say(out, "resuming from checkpoint " + c.id() + " (" + c.directory() + ", completed " + c.completed()
                + "); --fresh starts without it");
        return Optional.of(c.directory().toString());
    }

    private static void say(PrintStream out, String line) {
        LOG.info(line);
        out.println(line);
    }

    /**
     * The MiniCluster Flink's local executor would start (one TaskManager with a slot per subtask, REST on a free
     * port), but owned here: it must outlive the job so the watcher can read the failure history of a job that
     * failed (the local executor shuts its cluster down the moment the job ends).
     */
    private static MiniCluster start(Configuration conf, int parallelism) throws Exception {
        Configuration c = new Configuration(conf);
        if (!c.contains(RestOptions.BIND_PORT)) {
            c.set(RestOptions.BIND_PORT, "0");
        }
        MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder()
                .setConfiguration(c)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(parallelism)
                .setRpcServiceSharing(RpcServiceSharing.SHARED)
                .build());
        try {
            cluster.start();
        } catch (Exception e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    /** The job as the local executor submits it: the environment's graph with {@code conf} applied. */
    private static StreamGraph streamGraph(StreamExecutionEnvironment env, Configuration conf) throws Exception {
        StreamGraph graph = PipelineExecutorUtils.getStreamGraph(env.getStreamGraph(), conf);
        graph.serializeUserDefinedInstances();
        return graph;
    }
}
