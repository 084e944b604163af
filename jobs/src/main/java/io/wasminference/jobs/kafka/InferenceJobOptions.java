package io.wasminference.jobs.kafka;

import io.wasminference.format.RecordDecoder;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;

import java.util.List;
import java.util.Set;

/**
 * The settings of the Kafka inference job ({@link InferenceJob}) as Flink {@link ConfigOption}s: their names, types,
 * defaults and descriptions in one place.
 *
 * <p>Each option can be given three ways, and {@link JobOptions} merges them (a later one wins):
 * <ol>
 *   <li>in the Flink configuration, under the prefix {@value #FLINK_CONFIG_PREFIX} ({@code config.yaml},
 *       {@code -D wasm-inference.batch-size=32}, a FlinkDeployment's {@code flinkConfiguration});
 *   <li>in a properties file named by {@code --config FILE}, under its key ({@code batch-size=32});
 *   <li>on the command line, as {@code --KEY VALUE} ({@code --batch-size 32}).
 * </ol>
 * Every key under {@value #KAFKA_PREFIX} is a Kafka client property passed to the source and the sinks with that
 * prefix removed ({@code --kafka.security.protocol SASL_SSL}). An empty value means "not set".
 */
@PublicEvolving
public final class InferenceJobOptions {
    /** The prefix of these options in the Flink configuration. */
    public static final String FLINK_CONFIG_PREFIX = "wasm-inference.";
    /** The prefix of Kafka client properties. */
    public static final String KAFKA_PREFIX = "kafka.";

    public static final ConfigOption<String> BOOTSTRAP = ConfigOptions.key("bootstrap").stringType()
            .noDefaultValue().withDescription("Kafka bootstrap servers");
    public static final ConfigOption<String> INPUT_TOPIC = ConfigOptions.key("input-topic").stringType()
            .defaultValue("wasm-inference-requests").withDescription("topic of input records");
    public static final ConfigOption<String> OUTPUT_TOPIC = ConfigOptions.key("output-topic").stringType()
            .defaultValue("wasm-inference-predictions").withDescription("topic of predictions");
    public static final ConfigOption<String> DEAD_LETTER_TOPIC = ConfigOptions.key("dead-letter-topic").stringType()
            .defaultValue("wasm-inference-dead-letters").withDescription("topic of dead letters");
    public static final ConfigOption<String> MODEL = ConfigOptions.key("model").stringType()
            .noDefaultValue()
            .withDescription("the model: a path, sample:NAME, a classpath:, s3:// or file:// location, or an ONNX "
                    + "file (compiled on load)");
    public static final ConfigOption<String> MODEL_SHA256 = ConfigOptions.key("model-sha256").stringType()
            .noDefaultValue().withDescription("pin the model's content hash (not set: any content)");
    public static final ConfigOption<String> ABI = ConfigOptions.key("abi").stringType()
            .defaultValue("v1")
            .withDescription("the model's contract: v1, or tvm-standalone for a TVM wasm-standalone module with its "
                    + "sidecar MODEL.tvm.txt (docs/tvm-standalone.md)");
    public static final ConfigOption<String> GROUP_ID = ConfigOptions.key("group-id").stringType()
            .defaultValue("wasm-inference")
            .withDescription("consumer group of the source; also the job's identity for local checkpoints and the "
                    + "prefix of its Kafka transactions");
    public static final ConfigOption<RecordDecoder.Format> FORMAT = ConfigOptions.key("format")
            .enumType(RecordDecoder.Format.class).defaultValue(RecordDecoder.Format.AUTO)
            .withDescription("input format: auto, json or binary");
    public static final ConfigOption<Profile> PROFILE = ConfigOptions.key("profile").enumType(Profile.class)
            .noDefaultValue()
            .withDescription("tuning preset: latency or throughput; sets batch-size, max-delay-ms, "
                    + "buffer-timeout-ms and the Kafka clients' batching (linger.ms, batch.size, fetch.min.bytes, "
                    + "fetch.max.wait.ms) unless given (docs/operations.md); not set: the defaults shown");
    public static final ConfigOption<Integer> BATCH_SIZE = ConfigOptions.key("batch-size").intType()
            .defaultValue(64).withDescription("most records per wasm call");
    public static final ConfigOption<Integer> MAX_DELAY_MS = ConfigOptions.key("max-delay-ms").intType()
            .defaultValue(10).withDescription("longest a record waits for a batch");
    public static final ConfigOption<Integer> BUFFER_TIMEOUT_MS = ConfigOptions.key("buffer-timeout-ms").intType()
            .noDefaultValue()
            .withDescription("Flink's network buffer timeout between operators that are not chained (not set: "
                    + "execution.buffer-timeout, 100 ms)");
    public static final ConfigOption<Integer> TIMEOUT_MS = ConfigOptions.key("timeout-ms").intType()
            .defaultValue(10_000).withDescription("deadline of one wasm call");
    public static final ConfigOption<Integer> STARTUP_TIMEOUT_MS = ConfigOptions.key("startup-timeout-ms").intType()
            .defaultValue(10_000)
            .withDescription("deadline of an instance's start-up (start function, _initialize, wi_control)");
    public static final ConfigOption<Integer> BATCH_BUDGET_MS = ConfigOptions.key("batch-budget-ms").intType()
            .noDefaultValue()
            .withDescription("longest a failed batch is retried in halves to isolate the failing records (not set: "
                    + "3 call timeouts)");
    public static final ConfigOption<Integer> MEMORY_MIB = ConfigOptions.key("memory-mib").intType()
            .defaultValue(256).withDescription("linear memory cap per instance");
    public static final ConfigOption<Integer> PARALLELISM = ConfigOptions.key("parallelism").intType()
            .defaultValue(2).withDescription("parallelism of the job (one model instance per subtask)");
    public static final ConfigOption<Integer> CHECKPOINT_MS = ConfigOptions.key("checkpoint-ms").intType()
            .defaultValue(2000).withDescription("checkpoint interval (exactly-once commits on checkpoints)");
    public static final ConfigOption<DeliveryGuarantee> DELIVERY = ConfigOptions.key("delivery")
            .enumType(DeliveryGuarantee.class).defaultValue(DeliveryGuarantee.EXACTLY_ONCE)
            .withDescription("exactly-once, at-least-once or none");
    public static final ConfigOption<Integer> CHECKPOINT_TIMEOUT_MS = ConfigOptions.key("checkpoint-timeout-ms")
            .intType().defaultValue(600_000)
            .withDescription("checkpoint timeout; must be below the transaction timeout");
    public static final ConfigOption<Integer> TRANSACTION_TIMEOUT_MS = ConfigOptions.key("transaction-timeout-ms")
            .intType().defaultValue(900_000)
            .withDescription("Kafka transaction timeout, at most the broker's limit: transaction.max.timeout.ms, "
                    + "15 min by default");
    public static final ConfigOption<Integer> MAX_RECORD_BYTES = ConfigOptions.key("max-record-bytes").intType()
            .defaultValue(4 << 20).withDescription("larger record values are dead-lettered");
    public static final ConfigOption<Integer> DEAD_LETTER_PAYLOAD_BYTES = ConfigOptions
            .key("dead-letter-payload-bytes").intType().defaultValue(256 << 10)
            .withDescription("most bytes of the input a dead letter keeps (then payload_truncated); keeps it under "
                    + "Kafka's 1 MB");
    public static final ConfigOption<Integer> TOP_K = ConfigOptions.key("top-k").intType()
            .defaultValue(5).withDescription("classes per classifier prediction");
    public static final ConfigOption<Boolean> INCLUDE_OUTPUTS = ConfigOptions.key("include-outputs").booleanType()
            .defaultValue(true).withDescription("write the raw output tensors into predictions");
    public static final ConfigOption<OutputFormat> OUTPUT_FORMAT = ConfigOptions.key("output-format")
            .enumType(OutputFormat.class).defaultValue(OutputFormat.JSON)
            .withDescription("prediction format: json, or binary (WIP1, docs/formats.md) for consumers that need "
                    + "throughput; consume reads both");
    public static final ConfigOption<Integer> MAX_OUTPUT_BYTES = ConfigOptions.key("max-output-bytes").intType()
            .defaultValue(128 << 10).withDescription("larger outputs per record are dead-lettered (OUTPUT_TOO_LARGE)");
    public static final ConfigOption<Boolean> BOUNDED = ConfigOptions.key("bounded").booleanType()
            .defaultValue(false).withDescription("stop at the input's end offsets at start (batch-style run)");
    public static final ConfigOption<String> MODEL_REPO = ConfigOptions.key("model-repo").stringType()
            .noDefaultValue().withDescription("model repository (path or URI) that deploy commands read from");
    public static final ConfigOption<String> CONTROL_TOPIC = ConfigOptions.key("control-topic").stringType()
            .noDefaultValue().withDescription("topic of deploy/rollback commands (needs model-repo)");
    public static final ConfigOption<String> TRUSTED_KEYS = ConfigOptions.key("trusted-keys").stringType()
            .noDefaultValue()
            .withDescription("PEM file of Ed25519 public keys: deploy only versions signed by one of them (publish "
                    + "--sign-key)");
    public static final ConfigOption<String> STATUS_TOPIC = ConfigOptions.key("status-topic").stringType()
            .defaultValue("wasm-inference-model-status").withDescription("topic of model events (swaps, refusals)");
    public static final ConfigOption<String> CHECKPOINT_DIR = ConfigOptions.key("checkpoint-dir").stringType()
            .noDefaultValue()
            .withDescription("durable checkpoints; a local run resumes from the newest completed one of its "
                    + "group-id (default on a cluster: execution.checkpointing.dir; locally: "
                    + "~/.wasm-inference/checkpoints)");
    public static final ConfigOption<String> FROM_CHECKPOINT = ConfigOptions.key("from-checkpoint").stringType()
            .noDefaultValue()
            .withDescription("local run: restore from this checkpoint or savepoint folder instead of the newest "
                    + "checkpoint");
    public static final ConfigOption<Boolean> FRESH = ConfigOptions.key("fresh").booleanType()
            .defaultValue(false)
            .withDescription("local run: start without state, from the group's committed offsets (old checkpoints "
                    + "are moved aside)");
    public static final ConfigOption<Integer> RESTART_ATTEMPTS = ConfigOptions.key("restart-attempts").intType()
            .noDefaultValue()
            .withDescription("restarts after failures before the job fails (default 3 locally; on a cluster, its "
                    + "restart strategy)");
    public static final ConfigOption<Integer> RESTART_DELAY_MS = ConfigOptions.key("restart-delay-ms").intType()
            .defaultValue(1000).withDescription("pause before each restart (with restart-attempts or locally)");

    /** Every option, in the order help texts list them. */
    public static final List<ConfigOption<?>> ALL = List.of(BOOTSTRAP, INPUT_TOPIC, OUTPUT_TOPIC, DEAD_LETTER_TOPIC,
            MODEL, MODEL_SHA256, ABI, GROUP_ID, FORMAT, PROFILE, BATCH_SIZE, MAX_DELAY_MS, BUFFER_TIMEOUT_MS,
            TIMEOUT_MS, STARTUP_TIMEOUT_MS, BATCH_BUDGET_MS, MEMORY_MIB, PARALLELISM, CHECKPOINT_MS, DELIVERY,
            CHECKPOINT_TIMEOUT_MS, TRANSACTION_TIMEOUT_MS, MAX_RECORD_BYTES, DEAD_LETTER_PAYLOAD_BYTES, TOP_K,
            INCLUDE_OUTPUTS, OUTPUT_FORMAT, MAX_OUTPUT_BYTES, BOUNDED, MODEL_REPO, CONTROL_TOPIC, TRUSTED_KEYS,
            STATUS_TOPIC, CHECKPOINT_DIR, FROM_CHECKPOINT, FRESH, RESTART_ATTEMPTS, RESTART_DELAY_MS);

    /** The options without a default that the job cannot run without. */
    public static final Set<ConfigOption<?>> REQUIRED = Set.of(BOOTSTRAP, MODEL);

    private InferenceJobOptions() {}

    /** How predictions are written to the output topic. */
    public enum OutputFormat {
        /** One JSON object per prediction (docs/formats.md). */
        JSON,
        /** {@code WIP1} binary predictions ({@link io.wasminference.format.BinaryPredictionCodec}). */
        BINARY
    }
}
