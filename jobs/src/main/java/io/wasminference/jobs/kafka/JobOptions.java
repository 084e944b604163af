package io.wasminference.jobs.kafka;

import io.wasminference.jobs.cli.Locations;
import io.wasminference.jobs.cli.ModuleKinds;
import io.wasminference.jobs.cli.UsageException;
import io.wasminference.model.ModelRef;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.signing.TrustedKeys;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Collectors;

import static io.wasminference.jobs.kafka.InferenceJobOptions.BATCH_BUDGET_MS;
import static io.wasminference.jobs.kafka.InferenceJobOptions.BOOTSTRAP;
import static io.wasminference.jobs.kafka.InferenceJobOptions.CHECKPOINT_DIR;
import static io.wasminference.jobs.kafka.InferenceJobOptions.CHECKPOINT_MS;
import static io.wasminference.jobs.kafka.InferenceJobOptions.CHECKPOINT_TIMEOUT_MS;
import static io.wasminference.jobs.kafka.InferenceJobOptions.CONTROL_TOPIC;
import static io.wasminference.jobs.kafka.InferenceJobOptions.DEAD_LETTER_PAYLOAD_BYTES;
import static io.wasminference.jobs.kafka.InferenceJobOptions.DELIVERY;
import static io.wasminference.jobs.kafka.InferenceJobOptions.FLINK_CONFIG_PREFIX;
import static io.wasminference.jobs.kafka.InferenceJobOptions.FRESH;
import static io.wasminference.jobs.kafka.InferenceJobOptions.FROM_CHECKPOINT;
import static io.wasminference.jobs.kafka.InferenceJobOptions.KAFKA_PREFIX;
import static io.wasminference.jobs.kafka.InferenceJobOptions.MAX_OUTPUT_BYTES;
import static io.wasminference.jobs.kafka.InferenceJobOptions.MEMORY_MIB;
import static io.wasminference.jobs.kafka.InferenceJobOptions.MODEL;
import static io.wasminference.jobs.kafka.InferenceJobOptions.MODEL_REPO;
import static io.wasminference.jobs.kafka.InferenceJobOptions.MODEL_SHA256;
import static io.wasminference.jobs.kafka.InferenceJobOptions.RESTART_ATTEMPTS;
import static io.wasminference.jobs.kafka.InferenceJobOptions.STARTUP_TIMEOUT_MS;
import static io.wasminference.jobs.kafka.InferenceJobOptions.TIMEOUT_MS;
import static io.wasminference.jobs.kafka.InferenceJobOptions.TRANSACTION_TIMEOUT_MS;
import static io.wasminference.jobs.kafka.InferenceJobOptions.TRUSTED_KEYS;

/**
 * The checked settings of one Kafka inference job: the {@link InferenceJobOptions} merged from the Flink
 * configuration, a properties file and the command line (in that order, a later one wins), plus the {@code kafka.*}
 * client properties. {@link #get} reads an option with its type; the other accessors derive what the job builds
 * from them. Every mistake is a {@link UsageException} that names the option as the command line spells it.
 */
public final class JobOptions implements Serializable {
    private static final long serialVersionUID = 2L;

    /** Where a local run keeps its checkpoints unless {@code --checkpoint-dir} says otherwise. */
    public static final String LOCAL_CHECKPOINT_DIR = "~/.wasm-inference/checkpoints";

    private final Configuration conf;
    private final Map<String, String> kafka;

    private JobOptions(Configuration conf, Map<String, String> kafka) {
        this.conf = conf;
        this.kafka = kafka;
    }

    /** A builder that merges the sources of the options. */
    public static Builder builder() {
        return new Builder();
    }

    /** The value of {@code option}, its default when not given, or null for an optional option not given. */
    public <T> T get(ConfigOption<T> option) {
        return conf.get(option);
    }

    /** The value of an option without a default, if given. */
    public <T> Optional<T> getOptional(ConfigOption<T> option) {
        return conf.getOptional(option);
    }

    public String bootstrap() {
        return conf.get(BOOTSTRAP);
    }

    public String inputTopic() {
        return conf.get(InferenceJobOptions.INPUT_TOPIC);
    }

    public String outputTopic() {
        return conf.get(InferenceJobOptions.OUTPUT_TOPIC);
    }

    public String deadLetterTopic() {
        return conf.get(InferenceJobOptions.DEAD_LETTER_TOPIC);
    }

    public String groupId() {
        return conf.get(InferenceJobOptions.GROUP_ID);
    }

    public DeliveryGuarantee delivery() {
        return conf.get(DELIVERY);
    }

    /** The model; {@code sample:NAME} is the model bundled in the jar (a classpath resource). */
    public ModelRef model() {
        ModelRef ref = ModuleKinds.model(conf.get(MODEL), ModuleKinds.parse(conf.get(InferenceJobOptions.ABI)));
        return conf.getOptional(MODEL_SHA256).map(ref::withSha256).orElse(ref);
    }

    /** The sandbox's limits: call and start-up deadlines, memory cap; the rest as {@link SandboxLimits#defaults()}. */
    public SandboxLimits sandboxLimits() {
        return SandboxLimits.defaults()
                .withCallTimeout(Duration.ofMillis(conf.get(TIMEOUT_MS)))
                .withStartupTimeout(Duration.ofMillis(conf.get(STARTUP_TIMEOUT_MS)))
                .withMemoryLimitBytes((long) conf.get(MEMORY_MIB) << 20);
    }

    /** How long a failed batch is retried, or empty for the operator's default (3 call timeouts). */
    public Optional<Duration> batchBudget() {
        return conf.getOptional(BATCH_BUDGET_MS).map(Duration::ofMillis);
    }

    /** The control topic, or empty when the job takes no commands. */
    public Optional<String> controlTopic() {
        return conf.getOptional(CONTROL_TOPIC);
    }

    public String statusTopic() {
        return conf.get(InferenceJobOptions.STATUS_TOPIC);
    }

    public Optional<String> modelRepo() {
        return conf.getOptional(MODEL_REPO);
    }

    /**
     * The keys of {@code trusted-keys}, read here, in the client, so TaskManagers need no copy of the file; empty
     * when not given.
     */
    public Optional<TrustedKeys> trustedKeys() {
        return conf.getOptional(TRUSTED_KEYS).map(file -> {
            try {
                return TrustedKeys.read(Path.of(file));
            } catch (IOException | IllegalArgumentException e) {
                throw new UsageException(flag(TRUSTED_KEYS) + " " + file + ": " + e.getMessage());
            }
        });
    }

    /** {@code checkpoint-dir} as given, if given. */
    public Optional<String> checkpointDir() {
        return conf.getOptional(CHECKPOINT_DIR);
    }

    /**
     * The checkpoint folder of a local run: {@code checkpoint-dir}, else {@link #LOCAL_CHECKPOINT_DIR}; a leading
     * {@code ~/} is the user's home.
     */
    public Path localCheckpointDir() {
        String dir = conf.getOptional(CHECKPOINT_DIR).orElse(LOCAL_CHECKPOINT_DIR);
        if (dir.startsWith("file:")) {
            return Path.of(URI.create(dir));
        }
        if (dir.equals("~") || dir.startsWith("~/")) {
            return Path.of(System.getProperty("user.home"), dir.substring(1).replaceFirst("^/", ""));
        }
        return Path.of(dir);
    }

    /** {@code from-checkpoint}, if given. */
    public Optional<String> fromCheckpoint() {
        return conf.getOptional(FROM_CHECKPOINT);
    }

    /** Kafka client properties passed through to the source and the sinks. */
    public Properties kafkaProperties() {
        Properties p = new Properties();
        p.putAll(kafka);
        return p;
    }

    /** The profile's producer properties that {@code kafka.*} does not set (empty without a profile). */
    public Map<String, String> profileProducerProperties() {
        return profileDefaults(Profile::producerProperties);
    }

    /** The profile's consumer properties that {@code kafka.*} does not set (empty without a profile). */
    public Map<String, String> profileConsumerProperties() {
        return profileDefaults(Profile::consumerProperties);
    }

    private Map<String, String> profileDefaults(java.util.function.Function<Profile, Map<String, String>> part) {
        Map<String, String> defaults = new LinkedHashMap<>();
        conf.getOptional(InferenceJobOptions.PROFILE).ifPresent(p -> part.apply(p).forEach((k, v) -> {
            if (!kafka.containsKey(k)) {
                defaults.put(k, v);
            }
        }));
        return defaults;
    }

    /** How the command line spells an option: {@code --batch-size}. */
    public static String flag(ConfigOption<?> option) {
        return "--" + option.key();
    }

    /**
     * Collects the sources of the options; {@link #build()} merges them (Flink configuration, then the properties
     * file, then arguments and {@link #set} values: a later source wins) and checks the result.
     */
    public static final class Builder {
        private final Map<String, String> flink = new LinkedHashMap<>();
        private final Map<String, String> file = new LinkedHashMap<>();
        private final Map<String, String> arguments = new LinkedHashMap<>();
        private final Configuration typed = new Configuration();

        private Builder() {}

        /**
         * The options in a Flink configuration: its keys under {@value InferenceJobOptions#FLINK_CONFIG_PREFIX}
         * ({@code wasm-inference.batch-size}); other keys are Flink's and ignored here.
         */
        public Builder flinkConfiguration(Map<String, String> flinkConf) {
            flinkConf.forEach((k, v) -> {
                if (k.startsWith(FLINK_CONFIG_PREFIX)) {
                    String key = k.substring(FLINK_CONFIG_PREFIX.length());
                    requireKnown(key, "unknown option " + k + " in the Flink configuration");
                    flink.put(key, v);
                }
            });
            return this;
        }

        /** A properties file with the options under their keys ({@code batch-size=32}, {@code kafka.NAME=...}). */
        public Builder propertiesFile(Path path) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(path)) {
                p.load(in);
            } catch (IOException e) {
                throw new UsageException("cannot read --config " + path + ": " + e.getMessage());
            }
            for (String key : p.stringPropertyNames()) {
                requireKnown(key, "unknown option '" + key + "' in " + path);
                file.put(key, p.getProperty(key));
            }
            return this;
        }

        /** One option from the command line: its key without dashes and its value as given. */
        public Builder argument(String key, String value) {
            requireKnown(key, "unknown option --" + key);
            arguments.put(key, value);
            return this;
        }

        /** One option set by code, typed. */
        public <T> Builder set(ConfigOption<T> option, T value) {
            typed.set(option, value);
            return this;
        }

        /**
         * Merges and checks the options.
         *
         * @throws UsageException naming the first option that is missing, malformed or in conflict with another
         */
        public JobOptions build() {
            Map<String, String> raw = new LinkedHashMap<>(flink);
            raw.putAll(file);
            raw.putAll(arguments);
            raw.values().removeIf(String::isEmpty); // an empty value means not set
            Map<String, String> kafka = new LinkedHashMap<>();
            Map<String, String> options = new LinkedHashMap<>();
            raw.forEach((k, v) -> {
                if (k.startsWith(KAFKA_PREFIX)) {
                    kafka.put(k.substring(KAFKA_PREFIX.length()), v);
                } else {
                    options.put(k, v);
                }
            });
            Configuration conf = Configuration.fromMap(options);
            conf.addAll(typed);
            // A profile's values are defaults: anything given, in any source, wins.
            Optional<Profile> profile;
            try {
                profile = conf.getOptional(InferenceJobOptions.PROFILE);
            } catch (IllegalArgumentException e) {
                throw new UsageException(flag(InferenceJobOptions.PROFILE) + " must be latency or throughput, got '"
                        + options.get(InferenceJobOptions.PROFILE.key()) + "'");
            }
            if (profile.isPresent()) {
                Map<String, String> withProfile = new LinkedHashMap<>(profile.get().jobOptions());
                withProfile.putAll(options);
                conf = Configuration.fromMap(withProfile);
                conf.addAll(typed);
            }
            JobOptions o = new JobOptions(conf, kafka);
            o.validate();
            return o;
        }

        private static void requireKnown(String key, String message) {
            if (!key.startsWith(KAFKA_PREFIX)
                    && InferenceJobOptions.ALL.stream().noneMatch(o -> o.key().equals(key))) {
                throw new UsageException(message);
            }
        }
    }

    private void validate() {
        for (ConfigOption<?> option : InferenceJobOptions.ALL) {
            try {
                conf.getOptional(option);
            } catch (IllegalArgumentException e) {
                throw new UsageException(flag(option) + " must be " + expected(option) + ", got '"
                        + conf.toMap().get(option.key()) + "'");
            }
            if (InferenceJobOptions.REQUIRED.contains(option) && !conf.contains(option)) {
                throw new UsageException("missing required option " + flag(option) + " ("
                        + io.wasminference.jobs.cli.OptionText.description(option) + ")");
            }
        }
        atLeast(DEAD_LETTER_PAYLOAD_BYTES, 0);
        atLeast(MAX_OUTPUT_BYTES, 1);
        if (conf.getOptional(RESTART_ATTEMPTS).orElse(0) < 0) {
            throw new UsageException(flag(RESTART_ATTEMPTS) + " must be 0 or more");
        }
        if (conf.get(FRESH) && conf.contains(FROM_CHECKPOINT)) {
            throw new UsageException(flag(FRESH) + " and " + flag(FROM_CHECKPOINT) + " exclude each other: start "
                    + "without state, or from that checkpoint");
        }
        if (conf.getOptional(BATCH_BUDGET_MS).orElse(0) < 0) {
            throw new UsageException(flag(BATCH_BUDGET_MS) + " must not be negative");
        }
        if (conf.contains(CONTROL_TOPIC) && !conf.contains(MODEL_REPO)) {
            throw new UsageException(flag(CONTROL_TOPIC) + " needs " + flag(MODEL_REPO) + ": deploy commands load "
                    + "versions from it");
        }
        if (conf.contains(TRUSTED_KEYS)) {
            if (!conf.contains(CONTROL_TOPIC)) {
                throw new UsageException(flag(TRUSTED_KEYS) + " needs " + flag(CONTROL_TOPIC) + ": signatures are "
                        + "checked on deploy commands (the " + flag(MODEL) + " given at start is trusted as "
                        + "configured)");
            }
            trustedKeys();
        }
        if (delivery() == DeliveryGuarantee.EXACTLY_ONCE
                && conf.get(CHECKPOINT_TIMEOUT_MS) >= conf.get(TRANSACTION_TIMEOUT_MS)) {
            throw new UsageException(flag(CHECKPOINT_TIMEOUT_MS) + " must be below " + flag(TRANSACTION_TIMEOUT_MS)
                    + ": a transaction that outlives its checkpoint is aborted by the broker and its records are lost");
        }
        if (delivery() == DeliveryGuarantee.EXACTLY_ONCE && conf.get(CHECKPOINT_MS) <= 0) {
            throw new UsageException("exactly-once needs checkpoints: set " + flag(CHECKPOINT_MS) + " > 0");
        }
    }

    private void atLeast(ConfigOption<Integer> option, int min) {
        if (conf.get(option) < min) {
            throw new UsageException(flag(option) + " must be " + (min == 0 ? "0 or more" : "at least " + min));
        }
    }

    /** What a value of {@code option} looks like, for messages: found by what the option's type accepts. */
    private static String expected(ConfigOption<?> option) {
        if (option.hasDefaultValue() && option.defaultValue() instanceof Enum<?> e) {
            String values = Arrays.stream(e.getDeclaringClass().getEnumConstants())
                    .map(c -> c.toString().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));
            int last = values.lastIndexOf(", ");
            return last < 0 ? values : values.substring(0, last) + " or " + values.substring(last + 2);
        }
        if (accepts(option, "0")) {
            return "an integer";
        }
        return accepts(option, "true") ? "true or false" : "a valid value";
    }

    private static boolean accepts(ConfigOption<?> option, String value) {
        try {
            Configuration.fromMap(Map.of(option.key(), value)).get(option);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
