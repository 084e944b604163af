package io.wasminference.jobs.kafka;

import io.wasminference.jobs.cli.OptionText;
import io.wasminference.jobs.cli.UsageErrors;
import io.wasminference.jobs.cli.UsageException;
import org.apache.flink.configuration.ConfigOption;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The {@link InferenceJobOptions} as command-line options ({@code --batch-size 32}): one picocli option per
 * {@link ConfigOption}, its help text from the option's description and default, plus {@code --config FILE} and
 * {@code --kafka.NAME VALUE}. The {@code run} command and {@link #parse} read arguments the same way; the values are
 * checked by {@link JobOptions}, where the properties file and the Flink configuration meet them.
 */
public final class JobArguments {
    /** The option that names a properties file. */
    public static final String CONFIG = "--config";

    /** Parameter labels that say more than the type does. */
    private static final Map<String, String> LABELS = Map.of(
            InferenceJobOptions.BOOTSTRAP.key(), "HOST:PORT",
            InferenceJobOptions.MODEL.key(), "MODEL",
            InferenceJobOptions.MODEL_SHA256.key(), "SHA256",
            InferenceJobOptions.GROUP_ID.key(), "ID",
            InferenceJobOptions.MODEL_REPO.key(), "URI",
            InferenceJobOptions.TRUSTED_KEYS.key(), "FILE",
            InferenceJobOptions.CHECKPOINT_DIR.key(), "URI",
            InferenceJobOptions.FROM_CHECKPOINT.key(), "PATH");

    private JobArguments() {}

    /**
     * Adds the job's options to a command. Its arguments that match none of them (the {@code --kafka.*} ones) must
     * be kept as unmatched arguments ({@code @Unmatched}) and given to {@link #read}.
     */
    public static void addTo(CommandSpec command) {
        for (ConfigOption<?> option : InferenceJobOptions.ALL) {
            OptionSpec.Builder b = OptionSpec.builder(JobOptions.flag(option))
                    .type(String.class) // JobOptions converts and checks, whatever the source
                    .paramLabel(label(option))
                    .description(OptionText.description(option) + defaultText(option));
            if (isBoolean(option)) {
                b.arity("0..1").fallbackValue("true"); // a bare --bounded means --bounded true
            }
            command.addOption(b.build());
        }
        command.addOption(OptionSpec.builder(CONFIG).type(String.class).paramLabel("FILE")
                .description("read options from a properties file (keys without the dashes, e.g. batch-size=32); "
                        + "arguments win")
                .build());
    }

    /**
     * The options of a parsed command.
     *
     * @param unmatched the arguments no option matched: pairs of {@code --kafka.NAME VALUE} or
     *     {@code --kafka.NAME=VALUE}
     * @return a builder with the arguments and the properties file; add the Flink configuration and build
     * @throws UsageException for an unknown option or a stray argument
     */
    public static JobOptions.Builder read(ParseResult parsed, List<String> unmatched) {
        JobOptions.Builder b = JobOptions.builder();
        String config = parsed.matchedOptionValue(CONFIG, null);
        if (config != null) {
            b.propertiesFile(Path.of(config));
        }
        for (ConfigOption<?> option : InferenceJobOptions.ALL) {
            String value = parsed.matchedOptionValue(JobOptions.flag(option), null);
            if (value != null) {
                b.argument(option.key(), value);
            }
        }
        for (int i = 0; i < unmatched.size(); i++) {
            String arg = unmatched.get(i);
            if (!arg.startsWith("--")) {
                throw new UsageException("unexpected argument '" + arg + "'");
            }
            int eq = arg.indexOf('=');
            String key = arg.substring(2, eq < 0 ? arg.length() : eq);
            if (!key.startsWith(InferenceJobOptions.KAFKA_PREFIX)) {
                throw new UsageException("unknown option --" + key);
            }
            String value;
            if (eq >= 0) {
                value = arg.substring(eq + 1);
            } else if (i + 1 < unmatched.size()) {
                value = unmatched.get(++i);
            } else {
                throw new UsageException("option --" + key + " needs a value");
            }
            b.argument(key, value);
        }
        return b;
    }

    /** Parses {@code run}'s arguments (without the word {@code run}) as the command does. */
    public static JobOptions parse(String... args) {
        CommandSpec spec = CommandSpec.create();
        addTo(spec);
        CommandLine cli = new CommandLine(spec).setUnmatchedArgumentsAllowed(true)
                .setOverwrittenOptionsAllowed(true); // as run: a later --batch-size wins
        ParseResult parsed;
        try {
            parsed = cli.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            throw new UsageException(UsageErrors.message(e, args));
        }
        return read(parsed, parsed.unmatched()).build();
    }

    private static boolean isBoolean(ConfigOption<?> option) {
        return option.hasDefaultValue() && option.defaultValue() instanceof Boolean;
    }

    private static String label(ConfigOption<?> option) {
        String key = option.key();
        if (LABELS.containsKey(key)) {
            return LABELS.get(key);
        }
        if (isBoolean(option)) {
            return "true|false";
        }
        if (option.hasDefaultValue() && option.defaultValue() instanceof Enum<?> e) {
            return Arrays.stream(e.getDeclaringClass().getEnumConstants())
                    .map(c -> c.toString().toLowerCase(Locale.ROOT)).collect(Collectors.joining("|"));
        }
        if (option == InferenceJobOptions.PROFILE) {
            return Arrays.stream(Profile.values()).map(p -> p.name().toLowerCase(Locale.ROOT))
                    .collect(Collectors.joining("|"));
        }
        if (key.endsWith("-topic")) {
            return "TOPIC";
        }
        for (String unit : List.of("ms", "bytes", "mib")) {
            if (key.endsWith("-" + unit)) {
                return unit.toUpperCase(Locale.ROOT);
            }
        }
        return "N";
    }

    private static String defaultText(ConfigOption<?> option) {
        if (InferenceJobOptions.REQUIRED.contains(option)) {
            return " (required)";
        }
        if (!option.hasDefaultValue()) {
            return "";
        }
        Object value = option.defaultValue();
        return " (default " + (value instanceof Enum<?> ? value.toString().toLowerCase(Locale.ROOT) : value) + ")";
    }
}
