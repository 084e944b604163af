package io.wasminference.bench.kafka;

import io.wasminference.bench.BenchModel;
import io.wasminference.bench.Results;
import io.wasminference.format.RecordDecoder;
import io.wasminference.jobs.kafka.DecodeEncodeJob;
import io.wasminference.jobs.kafka.InferenceJob;
import io.wasminference.jobs.kafka.InferenceJobOptions;
import io.wasminference.jobs.kafka.JobOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.Map;

/**
 * One bounded run of a {@link DrainBench} pipeline in this JVM (a local MiniCluster), reading the input topic to
 * the end offsets it finds at start. Prints {@code drain-job cpu_ms=N runtime_ms=M} when done: this process's CPU
 * time and the job's net runtime (from its submission to the MiniCluster to its end).
 *
 * <pre>DrainJob --pipeline identity|decode-encode|job --bootstrap B --in T --out T --model digits-mlp
 *     [--delivery at-least-once] [--input-format binary] [--output-format json] [--include-outputs true]
 *     [--parallelism 2] [--checkpoint-ms 2000] [--batch 64] [--profile latency|throughput]</pre>
 */
public final class DrainJob {
    private DrainJob() {}

    /** The job options both end-to-end benchmarks share: topics, group, the bundled model, delivery, a profile. */
    static JobOptions.Builder options(String bootstrap, String in, String out, String group, BenchModel model,
            int parallelism, DeliveryGuarantee delivery, int checkpointMs, String profile) {
        JobOptions.Builder b = JobOptions.builder()
                .set(InferenceJobOptions.BOOTSTRAP, bootstrap)
                .set(InferenceJobOptions.INPUT_TOPIC, in)
                .set(InferenceJobOptions.OUTPUT_TOPIC, out)
                .set(InferenceJobOptions.DEAD_LETTER_TOPIC, out + "-dlq")
                .set(InferenceJobOptions.GROUP_ID, group)
                .set(InferenceJobOptions.MODEL, "classpath:samples/" + model.id() + "/model.wasm")
                .set(InferenceJobOptions.PARALLELISM, parallelism)
                .set(InferenceJobOptions.DELIVERY, delivery)
                .set(InferenceJobOptions.CHECKPOINT_MS, checkpointMs);
        if (!profile.isEmpty()) {
            b.argument(InferenceJobOptions.PROFILE.key(), profile);
        }
        return b;
    }

    public static void main(String[] args) throws Exception {
        String pipeline = Results.arg(args, "pipeline", "job");
        String bootstrap = Results.arg(args, "bootstrap", null);
        String in = Results.arg(args, "in", null);
        String out = Results.arg(args, "out", null);
        BenchModel model = BenchModel.of(Results.arg(args, "model", "digits-mlp"));
        DeliveryGuarantee delivery = DeliveryGuarantee.valueOf(
                Results.arg(args, "delivery", "at-least-once").replace('-', '_').toUpperCase(Locale.ROOT));
        int parallelism = Integer.parseInt(Results.arg(args, "parallelism", "2"));
        int checkpointMs = Integer.parseInt(Results.arg(args, "checkpoint-ms", "2000"));
        JobOptions.Builder b = options(bootstrap, in, out, "drain-" + out, model, parallelism, delivery, checkpointMs,
                Results.arg(args, "profile", ""))
                .set(InferenceJobOptions.FORMAT, RecordDecoder.Format.valueOf(
                        Results.arg(args, "input-format", "binary").toUpperCase(Locale.ROOT)))
                .set(InferenceJobOptions.BOUNDED, true)
                .set(InferenceJobOptions.OUTPUT_FORMAT, InferenceJobOptions.OutputFormat.valueOf(
                        Results.arg(args, "output-format", "json").toUpperCase(Locale.ROOT)))
                .set(InferenceJobOptions.INCLUDE_OUTPUTS,
                        Boolean.parseBoolean(Results.arg(args, "include-outputs", "true")));
        String batch = Results.arg(args, "batch", "");
        if (!batch.isEmpty()) {
            b.argument(InferenceJobOptions.BATCH_SIZE.key(), batch);
        }
        JobOptions o = b.build();
        Configuration conf = new Configuration();
        conf.set(TaskManagerOptions.NUM_TASK_SLOTS, parallelism);
        // a failure ends the run with its error instead of restarting forever
        conf.set(org.apache.flink.configuration.RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
        switch (pipeline) {
            case "identity" -> IdentityJob.build(env, bootstrap, in, out, parallelism, true, delivery, checkpointMs,
                    o.getOptional(InferenceJobOptions.PROFILE).orElse(null));
            case "decode-encode" -> DecodeEncodeJob.build(env, o, Map.of(model.inputName(), model.sampleTensor(0)));
            case "job" -> InferenceJob.build(env, o);
            default -> throw new IllegalArgumentException("--pipeline identity|decode-encode|job, got " + pipeline);
        }
        long runtimeMs = env.execute("drain " + pipeline + " " + in).getNetRuntime();
        long cpuNanos = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
        System.out.println("drain-job cpu_ms=" + cpuNanos / 1_000_000 + " runtime_ms=" + runtimeMs);
        System.exit(0); // Kafka's and Flink's non-daemon threads
    }
}
