package io.wasminference.jobs.kafka;

import io.wasminference.format.RecordDecoder;
import io.wasminference.jobs.cli.Args;
import io.wasminference.jobs.cli.Locations;
import io.wasminference.jobs.cli.ModuleKinds;
import io.wasminference.model.ModelRef;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.signing.TrustedKeys;
import org.apache.flink.connector.base.DeliveryGuarantee;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Settings of the Kafka inference job, from {@code --option value} arguments and/or a properties file
 * ({@code --config FILE}, same keys without the dashes; arguments win). Every {@code kafka.*} key is passed through
 * to the Kafka source and sinks (e.g. {@code --kafka.security.protocol SASL_SSL}).
 */
public final class JobOptions implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Option names, defaults and help, in the order {@code --help} prints them. */
    static final List<String[]> OPTIONS = List.of(
            new String[] {"bootstrap", null, "Kafka bootstrap servers"},
            new String[] {"input-topic", "wasm-inference-requests", "topic of input records"},
            new String[] {"output-topic", "wasm-inference-predictions", "topic of predictions"},
            new String[] {"dead-letter-topic", "wasm-inference-dead-letters", "topic of dead letters"},
            new String[] {"model", null, "model location: path, sample:NAME, classpath:..., s3://..., file://..."},
            new String[] {"model-sha256", "", "pin the model's content hash (empty: any content)"},
            new String[] {"abi", "v1", "the model's contract: v1, or tvm-standalone for a TVM wasm-standalone module "
                    + "with its sidecar MODEL.tvm.txt (docs/tvm-standalone.md)"},
            new String[] {"group-id", "wasm-inference", "consumer group of the source"},
            new String[] {"format", "auto", "input format: auto, json or binary"},
            new String[] {"batch-size", "64", "most records per wasm call"},
            new String[] {"max-delay-ms", "10", "longest a record waits for a batch"},
            new String[] {"timeout-ms", "10000", "deadline of one wasm call"},
            new String[] {"startup-timeout-ms", "10000",
                "deadline of an instance's start-up (start function, _initialize, wi_control)"},
            new String[] {"batch-budget-ms", "", "longest a failed batch is retried in halves to isolate the failing "
                + "records (empty: 3 call timeouts)"},
            new String[] {"memory-mib", "256", "linear memory cap per instance"},
            new String[] {"parallelism", "2", "parallelism of the job (one model instance per subtask)"},
            new String[] {"checkpoint-ms", "2000", "checkpoint interval (exactly-once commits on checkpoints)"},
            new String[] {"delivery", "exactly-once", "exactly-once, at-least-once or none"},
            new String[] {"checkpoint-timeout-ms", "600000",
                "checkpoint timeout; must be below the transaction timeout"},
            new String[] {"transaction-timeout-ms", "900000",
                "Kafka transaction timeout; at most the broker's transaction.max.timeout.ms (default 900000)"},
            new String[] {"max-record-bytes", "4194304", "larger record values are dead-lettered"},
            new String[] {"dead-letter-payload-bytes", "262144",
                "most bytes of the input a dead letter keeps (then payload_truncated); keeps it under Kafka's 1 MB"},
            new String[] {"top-k", "5", "classes per classifier prediction"},
            new String[] {"include-outputs", "true", "write the raw output tensors into predictions"},
            new String[] {"max-output-bytes", "131072", "larger outputs per record are dead-lettered "
                + "(OUTPUT_TOO_LARGE)"},
            new String[] {"bounded", "false", "stop at the input's end offsets at start (batch-style run)"},
            new String[] {"model-repo", "", "model repository (path or URI) that deploy commands read from"},
            new String[] {"control-topic", "", "topic of deploy/rollback commands (needs --model-repo)"},
            new String[] {"trusted-keys", "", "PEM file of Ed25519 public keys: deploy only versions signed by one of "
                + "them (publish --sign-key)"},
            new String[] {"status-topic", "wasm-inference-model-status", "topic of model events (swaps, refusals)"},
            new String[] {"checkpoint-dir", "",
                "durable checkpoints; a local run resumes from the newest completed one of its --group-id (default "
                    + "~/.wasm-inference/checkpoints locally; on a cluster, its execution.checkpointing.dir)"},
            new String[] {"from-checkpoint", "",
                "local run: restore from this checkpoint or savepoint folder instead of the newest checkpoint"},
            new String[] {"fresh", "false",
                "local run: start without state, from the group's committed offsets (old checkpoints are moved aside)"},
            new String[] {"restart-attempts", "",
                "restarts after failures before the job fails (default 3 locally; on a cluster, its restart strategy)"},
            new String[] {"restart-delay-ms", "1000", "pause before each restart (with --restart-attempts or locally)"});

    /** Where a local run keeps its checkpoints unless {@code --checkpoint-dir} says otherwise. */
    public static final String LOCAL_CHECKPOINT_DIR = "~/.wasm-inference/checkpoints";

    private final Map<String, String> values;
    private final Map<String, String> kafka;

    private JobOptions(Map<String, String> values, Map<String, String> kafka) {
        this.values = values;
        this.kafka = kafka;
    }

    /** Parses {@code argv} from index {@code from}; {@code --config FILE} reads a properties file first. */
    public static JobOptions parse(String[] argv, int from) {
        Map<String, String> given = new LinkedHashMap<>();
        Map<String, String> kafka = new LinkedHashMap<>();
        for (int i = from; i < argv.length; i++) {
            String a = argv[i];
            if (!a.startsWith("--")) {
                throw new Args.UsageException("unexpected argument '" + a + "'");
            }
            String key = a.substring(2);
            String value;
            int eq = key.indexOf('=');
            if (eq >= 0) {
                value = key.substring(eq + 1);
                key = key.substring(0, eq);
            } else if (isBoolean(key) && (i + 1 >= argv.length || argv[i + 1].startsWith("--"))) {
                value = "true"; // a bare --fresh, --bounded: like --fresh true
            } else {
                if (i + 1 >= argv.length) {
                    throw new Args.UsageException("option --" + key + " needs a value");
                }
                value = argv[++i];
            }
            if (key.equals("config")) {
                readConfig(Path.of(value), given, kafka);
            } else {
                put(key, value, given, kafka);
            }
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (String[] o : OPTIONS) {
            String v = given.getOrDefault(o[0], o[1]);
            if (v == null) {
                throw new Args.UsageException("missing required option --" + o[0] + " (" + o[2] + ")");
            }
            values.put(o[0], v);
        }
        JobOptions options = new JobOptions(values, kafka);
        options.validate();
        return options;
    }

    private static boolean isBoolean(String key) {
        return OPTIONS.stream().anyMatch(o -> o[0].equals(key) && ("true".equals(o[1]) || "false".equals(o[1])));
    }

    private static void readConfig(Path file, Map<String, String> given, Map<String, String> kafka) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        } catch (IOException e) {
            throw new Args.UsageException("cannot read --config " + file + ": " + e.getMessage());
        }
        for (String key : p.stringPropertyNames()) {
            if (!given.containsKey(key)) {
                put(key, p.getProperty(key), given, kafka);
            }
        }
    }

    private static void put(String key, String value, Map<String, String> given, Map<String, String> kafka) {
        if (key.startsWith("kafka.")) {
            kafka.put(key.substring("kafka.".length()), value);
        } else if (OPTIONS.stream().anyMatch(o -> o[0].equals(key))) {
            given.put(key, value);
        } else {
            throw new Args.UsageException("unknown option --" + key);
        }
    }

    private void validate() {
        for (String k : List.of("batch-size", "max-delay-ms", "timeout-ms", "startup-timeout-ms", "memory-mib",
                "parallelism", "checkpoint-ms", "checkpoint-timeout-ms", "transaction-timeout-ms", "max-record-bytes",
                "top-k", "restart-delay-ms", "dead-letter-payload-bytes", "max-output-bytes")) {
            integer(k);
        }
        if (integer("dead-letter-payload-bytes") < 0) {
            throw new Args.UsageException("--dead-letter-payload-bytes must be 0 or more");
        }
        if (integer("max-output-bytes") < 1) {
            throw new Args.UsageException("--max-output-bytes must be at least 1");
        }
        for (String[] o : OPTIONS) {
            if (isBoolean(o[0]) && !values.get(o[0]).equalsIgnoreCase("true")
                    && !values.get(o[0]).equalsIgnoreCase("false")) {
                throw new Args.UsageException("--" + o[0] + " must be true or false, got '" + values.get(o[0]) + "'");
            }
        }
        if (!values.get("restart-attempts").isEmpty() && integer("restart-attempts") < 0) {
            throw new Args.UsageException("--restart-attempts must be 0 or more");
        }
        if (flag("fresh") && !values.get("from-checkpoint").isEmpty()) {
            throw new Args.UsageException("--fresh and --from-checkpoint exclude each other: start without state, or "
                    + "from that checkpoint");
        }
        delivery();
        format();
        if (!values.get("batch-budget-ms").isEmpty() && integer("batch-budget-ms") < 0) {
            throw new Args.UsageException("--batch-budget-ms must not be negative");
        }
        if (!values.get("control-topic").isEmpty() && values.get("model-repo").isEmpty()) {
            throw new Args.UsageException("--control-topic needs --model-repo: deploy commands load versions from it");
        }
        if (!values.get("trusted-keys").isEmpty()) {
            if (values.get("control-topic").isEmpty()) {
                throw new Args.UsageException("--trusted-keys needs --control-topic: signatures are checked on deploy "
                        + "commands (the --model given at start is trusted as configured)");
            }
            trustedKeys();
        }
        if (delivery() == DeliveryGuarantee.EXACTLY_ONCE
                && integer("checkpoint-timeout-ms") >= integer("transaction-timeout-ms")) {
            throw new Args.UsageException("--checkpoint-timeout-ms must be below --transaction-timeout-ms: a "
                    + "transaction that outlives its checkpoint is aborted by the broker and its records are lost");
        }
        if (delivery() == DeliveryGuarantee.EXACTLY_ONCE && integer("checkpoint-ms") <= 0) {
            throw new Args.UsageException("exactly-once needs checkpoints: set --checkpoint-ms > 0");
        }
    }

    public String bootstrap() {
        return values.get("bootstrap");
    }

    public String inputTopic() {
        return values.get("input-topic");
    }

    public String outputTopic() {
        return values.get("output-topic");
    }

    public String deadLetterTopic() {
        return values.get("dead-letter-topic");
    }

    /** {@code --model}; {@code sample:NAME} is the model bundled in the jar (a classpath resource). */
    public ModelRef model() {
        ModelRef ref = ModuleKinds.model(values.get("model"), ModuleKinds.parse(values.get("abi")));
        String sha = values.get("model-sha256");
        return sha.isEmpty() ? ref : ref.withSha256(sha);
    }

    /** The sandbox's limits: call and start-up deadlines, memory cap; the rest as {@link SandboxLimits#defaults()}. */
    public SandboxLimits sandboxLimits() {
        return SandboxLimits.defaults()
                .withCallTimeout(java.time.Duration.ofMillis(integer("timeout-ms")))
                .withStartupTimeout(java.time.Duration.ofMillis(integer("startup-timeout-ms")))
                .withMemoryLimitBytes((long) integer("memory-mib") << 20);
    }

    /** The control topic, or empty when the job takes no commands. */
    public String controlTopic() {
        return values.get("control-topic");
    }

    public String statusTopic() {
        return values.get("status-topic");
    }

    /**
     * The keys of {@code --trusted-keys}, read here, in the client, so TaskManagers need no copy of the file; null
     * when not given.
     */
    public TrustedKeys trustedKeys() {
        String file = values.get("trusted-keys");
        if (file.isEmpty()) {
            return null;
        }
        try {
            return TrustedKeys.read(Path.of(file));
        } catch (IOException | IllegalArgumentException e) {
            throw new Args.UsageException("--trusted-keys " + file + ": " + e.getMessage());
        }
    }

    public String modelRepo() {
        return values.get("model-repo");
    }

    public String groupId() {
        return values.get("group-id");
    }

    public RecordDecoder.Format format() {
        try {
            return RecordDecoder.Format.valueOf(values.get("format").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException("--format must be auto, json or binary, got '" + values.get("format") + "'");
        }
    }

    public DeliveryGuarantee delivery() {
        return switch (values.get("delivery").toLowerCase(Locale.ROOT)) {
            case "exactly-once" -> DeliveryGuarantee.EXACTLY_ONCE;
            case "at-least-once" -> DeliveryGuarantee.AT_LEAST_ONCE;
            case "none" -> DeliveryGuarantee.NONE;
            default -> throw new Args.UsageException("--delivery must be exactly-once, at-least-once or none, got '"
                    + values.get("delivery") + "'");
        };
    }

    /**
     * The checkpoint folder of a local run: {@code --checkpoint-dir}, else {@link #LOCAL_CHECKPOINT_DIR}; a leading
     * {@code ~/} is the user's home.
     */
    public Path localCheckpointDir() {
        String dir = values.get("checkpoint-dir").isEmpty() ? LOCAL_CHECKPOINT_DIR : values.get("checkpoint-dir");
        if (dir.startsWith("file:")) {
            return Path.of(java.net.URI.create(dir));
        }
        if (dir.equals("~") || dir.startsWith("~/")) {
            return Path.of(System.getProperty("user.home"), dir.substring(1).replaceFirst("^/", ""));
        }
        return Path.of(dir);
    }

    /** {@code --checkpoint-dir} as given, or empty. */
    public String checkpointDir() {
        return values.get("checkpoint-dir");
    }

    /** {@code --from-checkpoint}, or empty. */
    public String fromCheckpoint() {
        return values.get("from-checkpoint");
    }

    /** {@code --restart-attempts}, or empty when not given. */
    public java.util.OptionalInt restartAttempts() {
        return values.get("restart-attempts").isEmpty() ? java.util.OptionalInt.empty()
                : java.util.OptionalInt.of(integer("restart-attempts"));
    }

    public int integer(String key) {
        try {
            return Integer.parseInt(values.get(key));
        } catch (NumberFormatException e) {
            throw new Args.UsageException("--" + key + " must be an integer, got '" + values.get(key) + "'");
        }
    }

    /** {@code --batch-budget-ms}, or empty for the operator's default (3 call timeouts). */
    public java.util.Optional<Duration> batchBudget() {
        return values.get("batch-budget-ms").isEmpty() ? java.util.Optional.empty()
                : java.util.Optional.of(Duration.ofMillis(integer("batch-budget-ms")));
    }

    public boolean flag(String key) {
        return Boolean.parseBoolean(values.get(key));
    }

    /** Kafka client properties passed through to the source and the sinks. */
    public Properties kafkaProperties() {
        Properties p = new Properties();
        p.putAll(kafka);
        return p;
    }

    /** A copy with some options replaced (used by the demo). */
    public JobOptions with(Map<String, String> overrides) {
        Map<String, String> v = new LinkedHashMap<>(values);
        v.putAll(overrides);
        JobOptions o = new JobOptions(v, kafka);
        o.validate();
        return o;
    }

    /** The options, one per line, for usage texts. */
    public static String help() {
        StringBuilder sb = new StringBuilder();
        for (String[] o : OPTIONS) {
            sb.append(String.format(Locale.ROOT, "      --%-24s %s%s%n", o[0] + " X", o[2],
                    o[1] == null ? " (required)" : o[1].isEmpty() ? "" : " (default " + o[1] + ")"));
        }
        sb.append(String.format(Locale.ROOT, "      --%-24s %s%n", "config FILE",
                "read options from a properties file (same keys)"));
        sb.append(String.format(Locale.ROOT, "      --%-24s %s%n", "kafka.NAME X",
                "any Kafka client property, e.g. --kafka.security.protocol SASL_SSL"));
        return sb.toString();
    }
}
