package io.wasminference.sql;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.MemorySize;

import java.time.Duration;

/** The {@code WITH} options of {@code CREATE MODEL ... WITH ('provider' = 'wasm', ...)}. */
public final class WasmModelOptions {
    private WasmModelOptions() {}

    public static final ConfigOption<String> URI = ConfigOptions.key("uri").stringType().noDefaultValue()
            .withDescription("Where the model is: a path, a Flink file system URI (s3://, hdfs://, file://...), "
                    + "classpath:..., an ONNX file (compiled on load, options from its sidecar .compile file), or, with "
                    + "'repository', NAME/VERSION of a model repository.");

    public static final ConfigOption<String> SHA256 = ConfigOptions.key("sha256").stringType().noDefaultValue()
            .withDescription("Expected sha256 of the model file (or of the compiled module); the model is refused "
                    + "when it differs.");

    public static final ConfigOption<String> REPOSITORY = ConfigOptions.key("repository").stringType()
            .noDefaultValue().withDescription("Root of a model repository (as published by the 'publish' command); "
                    + "'uri' is then NAME/VERSION.");

    public static final ConfigOption<Integer> BATCH_SIZE = ConfigOptions.key("batch-size").intType().defaultValue(64)
            .withDescription("Most rows per wasm call (asynchronous mode). ML_PREDICT's max-concurrent-operations "
                    + "must be at least this for full batches.");

    public static final ConfigOption<Duration> MAX_DELAY = ConfigOptions.key("max-delay").durationType()
            .defaultValue(Duration.ofMillis(10))
            .withDescription("Longest a row waits for its batch to fill (asynchronous mode).");

    public static final ConfigOption<Duration> TIMEOUT = ConfigOptions.key("timeout").durationType()
            .defaultValue(Duration.ofSeconds(10)).withDescription("Wall-clock deadline of one wasm call.");

    public static final ConfigOption<Duration> STARTUP_TIMEOUT = ConfigOptions.key("startup-timeout").durationType()
            .defaultValue(Duration.ofSeconds(10)).withDescription("Deadline of instantiating the module.");

    public static final ConfigOption<MemorySize> MEMORY = ConfigOptions.key("memory").memoryType()
            .defaultValue(MemorySize.parse("256 mb")).withDescription("Cap on the module's linear memory.");

    public static final ConfigOption<OnError> ON_ERROR = ConfigOptions.key("on-error").enumType(OnError.class)
            .defaultValue(OnError.NULL)
            .withDescription("A row the model cannot answer (wrong length, NaN where not allowed, a trap or timeout "
                    + "on that row): NULL outputs and the reason in an 'error' column if one is declared, or FAIL "
                    + "the query.");

    /** What a row the model cannot answer becomes. */
    public enum OnError {
        /** NULL outputs, the reason in the {@code error} column when the model declares one. */
        NULL,
        /** The query fails. */
        FAIL
    }
}
