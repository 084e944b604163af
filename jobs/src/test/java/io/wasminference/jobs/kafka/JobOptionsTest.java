package io.wasminference.jobs.kafka;

import io.wasminference.jobs.cli.UsageException;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JobOptionsTest {
    /** The documented default of --dead-letter-payload-bytes. */
    static final int DEFAULT_DEAD_LETTER_PAYLOAD_BYTES = 262_144;

    @TempDir
    Path dir;

    @Test
    void defaultsAndRequiredOptions() {
        JobOptions o = JobArguments.parse(new String[] {"--bootstrap", "b:9092", "--model", "m.wasm"});
        assertThat(o.delivery()).isEqualTo(DeliveryGuarantee.EXACTLY_ONCE);
        assertThat(o.get(InferenceJobOptions.BATCH_SIZE)).isEqualTo(64);
        assertThat(o.inputTopic()).isEqualTo("wasm-inference-requests");
        assertThat(o.model().expectedSha256()).isEmpty();
        assertThatThrownBy(() -> JobArguments.parse(new String[] {"--model", "m.wasm"}))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("missing required option --bootstrap");
    }

    @Test
    void theSandboxLimitsComeFromTheOptionsIncludingTheStartUpDeadline() {
        JobOptions o = JobArguments.parse(new String[] {"--bootstrap", "b:9092", "--model", "m.wasm",
            "--timeout-ms", "1500", "--startup-timeout-ms", "2500", "--memory-mib", "64"});
        assertThat(o.sandboxLimits().callTimeout()).isEqualTo(java.time.Duration.ofMillis(1500));
        assertThat(o.sandboxLimits().startupTimeout()).isEqualTo(java.time.Duration.ofMillis(2500));
        assertThat(o.sandboxLimits().memoryLimitBytes()).isEqualTo(64L << 20);
        assertThat(JobArguments.parse("--bootstrap", "b", "--model", "m").sandboxLimits().startupTimeout())
                .isEqualTo(java.time.Duration.ofSeconds(10));
    }

    @Test
    void kafkaPropertiesPassThroughFromArgumentsAndConfigFileAndArgumentsWin() throws Exception {
        Path config = Files.writeString(dir.resolve("job.properties"), String.join("\n",
                "bootstrap=from-file:9092",
                "model=s3://bucket/m.wasm",
                "batch-size=16",
                "kafka.security.protocol=SASL_SSL",
                "kafka.sasl.mechanism=PLAIN"));
        JobOptions o = JobArguments.parse(new String[] {"--config", config.toString(), "--batch-size=32",
            "--kafka.sasl.mechanism", "SCRAM-SHA-512"});
        assertThat(o.bootstrap()).isEqualTo("from-file:9092");
        assertThat(o.get(InferenceJobOptions.BATCH_SIZE)).isEqualTo(32);
        assertThat(o.kafkaProperties()).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512");
    }

    @Test
    void aBundledSampleIsAClasspathResourceSoEveryTaskManagerFindsIt() {
        JobOptions o = JobArguments.parse(new String[] {"--bootstrap", "b:9092", "--model", "sample:fashion-lenet5"});
        assertThat(o.model().location()).isEqualTo("classpath:samples/fashion-lenet5/model.wasm");
        assertThat(o.model().load()).isNotEmpty();
        for (String sample : io.wasminference.jobs.cli.Locations.SAMPLES) {
            assertThat(io.wasminference.jobs.cli.Locations.model("sample:" + sample).load()).as(sample).isNotEmpty();
        }
    }

    @Test
    void anOptionGivenTwiceTakesItsLastValue() {
        JobOptions o = JobArguments.parse("--bootstrap", "b", "--model", "m", "--batch-size", "8", "--bounded",
                "--batch-size", "16", "--bounded", "false", "--kafka.acks", "1", "--kafka.acks", "all");
        assertThat(o.get(InferenceJobOptions.BATCH_SIZE)).isEqualTo(16);
        assertThat(o.get(InferenceJobOptions.BOUNDED)).isFalse();
        assertThat(o.kafkaProperties()).containsEntry("acks", "all");
    }

    @Test
    void aBareBooleanOptionMeansTrue() {
        JobOptions o = JobArguments.parse(new String[] {"--bounded", "--bootstrap", "b:9092", "--model", "m.wasm",
            "--fresh"});
        assertThat(o.get(InferenceJobOptions.BOUNDED)).isTrue();
        assertThat(o.get(InferenceJobOptions.FRESH)).isTrue();
        assertThat(JobArguments.parse(new String[] {"--bootstrap", "b", "--model", "m", "--bounded", "false"})
                .get(InferenceJobOptions.BOUNDED)).isFalse();
        assertThatThrownBy(() -> JobArguments.parse(new String[] {"--bootstrap", "b", "--model", "m", "--bounded",
            "yes"})).hasMessageContaining("--bounded must be true or false");
    }

    @Test
    void rejectsBadValuesWithTheOptionName() {
        assertThatThrownBy(() -> JobArguments.parse(new String[] {"--bootstrap", "b", "--model", "m",
            "--delivery", "twice"})).hasMessageContaining("--delivery must be exactly-once, at-least-once or none");
        assertThatThrownBy(() -> JobArguments.parse(new String[] {"--bootstrap", "b", "--model", "m",
            "--batch-size", "lots"})).hasMessageContaining("--batch-size must be an integer");
        assertThatThrownBy(() -> JobArguments.parse(new String[] {"--bootstrap", "b", "--model", "m",
            "--colour", "red"})).hasMessageContaining("unknown option --colour");
        assertThatThrownBy(() -> JobArguments.parse(new String[] {"--bootstrap", "b", "--model", "m",
            "--checkpoint-ms", "0"})).hasMessageContaining("exactly-once needs checkpoints");
        assertThatThrownBy(() -> JobArguments.parse(new String[] {"--bootstrap", "b", "--model", "m",
            "--batch-budget-ms", "-1"})).hasMessageContaining("--batch-budget-ms must not be negative");
        assertThatThrownBy(() -> JobArguments.parse(new String[] {"--bootstrap", "b", "--model", "m",
            "--max-output-bytes", "0"})).hasMessageContaining("--max-output-bytes must be at least 1");
    }

    @Test
    void trustedKeysAreReadInTheClientAndNeedAControlTopic() throws Exception {
        Path pub = Files.writeString(dir.resolve("trusted.pem"), io.wasminference.signing.Ed25519Keys.toPem(
                io.wasminference.signing.Ed25519Keys.generate().getPublic()));
        JobOptions o = JobArguments.parse(new String[] {"--bootstrap", "b", "--model", "m", "--model-repo", "/r",
            "--control-topic", "c", "--trusted-keys", pub.toString()});
        assertThat(o.trustedKeys().orElseThrow().ids()).hasSize(1);
        assertThatThrownBy(() -> JobArguments.parse(new String[] {"--bootstrap", "b", "--model", "m",
            "--trusted-keys", pub.toString()})).hasMessageContaining("--trusted-keys needs --control-topic");
        Path key = Files.writeString(dir.resolve("private.pem"), io.wasminference.signing.Ed25519Keys.toPem(
                io.wasminference.signing.Ed25519Keys.generate().getPrivate()));
        assertThatThrownBy(() -> JobArguments.parse(new String[] {"--bootstrap", "b", "--model", "m", "--model-repo",
            "/r", "--control-topic", "c", "--trusted-keys", key.toString()}))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("this holds a private key, which must stay with the publisher");
    }

    /** The same options from the Flink configuration (wasm-inference.*), a properties file and the command line. */
    @Test
    void theFlinkConfigurationSetsOptionsUnderItsPrefixAndTheFileAndTheCommandLineWin() throws Exception {
        java.util.Map<String, String> flink = java.util.Map.of(
                "wasm-inference.bootstrap", "from-flink:9092",
                "wasm-inference.model", "m.wasm",
                "wasm-inference.batch-size", "8",
                "wasm-inference.top-k", "3",
                "wasm-inference.delivery", "at-least-once",
                "wasm-inference.kafka.security.protocol", "SSL",
                "taskmanager.numberOfTaskSlots", "2"); // Flink's own keys are not the job's business
        JobOptions fromFlink = JobOptions.builder().flinkConfiguration(flink).build();
        assertThat(fromFlink.bootstrap()).isEqualTo("from-flink:9092");
        assertThat(fromFlink.get(InferenceJobOptions.BATCH_SIZE)).isEqualTo(8);
        assertThat(fromFlink.delivery()).isEqualTo(DeliveryGuarantee.AT_LEAST_ONCE);
        assertThat(fromFlink.kafkaProperties()).containsEntry("security.protocol", "SSL");

        Path config = Files.writeString(dir.resolve("job.properties"), "batch-size=16\ntop-k=2\n");
        JobOptions all = JobOptions.builder().propertiesFile(config).argument("top-k", "1")
                .flinkConfiguration(flink).build();
        assertThat(all.get(InferenceJobOptions.BATCH_SIZE)).as("the file over the Flink configuration").isEqualTo(16);
        assertThat(all.get(InferenceJobOptions.TOP_K)).as("the command line over both").isEqualTo(1);
        assertThat(all.get(InferenceJobOptions.TIMEOUT_MS)).as("a default").isEqualTo(10_000);

        assertThatThrownBy(() -> JobOptions.builder().flinkConfiguration(java.util.Map.of("wasm-inference.colour",
                "red")).build()).isInstanceOf(UsageException.class)
                .hasMessageContaining("unknown option wasm-inference.colour in the Flink configuration");
        assertThatThrownBy(() -> JobOptions.builder().flinkConfiguration(java.util.Map.of(
                "wasm-inference.bootstrap", "b", "wasm-inference.model", "m", "wasm-inference.batch-size", "many"))
                .build()).hasMessageContaining("--batch-size must be an integer, got 'many'");
    }

    @Test
    void typedValuesSetByCodeAreCheckedLikeArguments() {
        JobOptions o = JobOptions.builder().set(InferenceJobOptions.BOOTSTRAP, "b:9092")
                .set(InferenceJobOptions.MODEL, "sample:digits-mlp")
                .set(InferenceJobOptions.FORMAT, io.wasminference.format.RecordDecoder.Format.BINARY)
                .set(InferenceJobOptions.BATCH_BUDGET_MS, 250).build();
        assertThat(o.get(InferenceJobOptions.FORMAT)).isEqualTo(io.wasminference.format.RecordDecoder.Format.BINARY);
        assertThat(o.batchBudget()).contains(java.time.Duration.ofMillis(250));
        assertThatThrownBy(() -> JobOptions.builder().set(InferenceJobOptions.BOOTSTRAP, "b")
                .set(InferenceJobOptions.MODEL, "m").set(InferenceJobOptions.FRESH, true)
                .set(InferenceJobOptions.FROM_CHECKPOINT, "/c").build())
                .hasMessageContaining("--fresh and --from-checkpoint exclude each other");
    }

    @Test
    void anEmptyValueMeansNotSet() throws Exception {
        Path config = Files.writeString(dir.resolve("job.properties"), "bootstrap=b\nmodel=m\nmodel-sha256=\n"
                + "input-topic=\n");
        JobOptions o = JobArguments.parse(new String[] {"--config", config.toString()});
        assertThat(o.model().expectedSha256()).isEmpty();
        assertThat(o.inputTopic()).isEqualTo("wasm-inference-requests");
        assertThatThrownBy(() -> JobArguments.parse(new String[] {"--bootstrap", "", "--model", "m"}))
                .hasMessageContaining("missing required option --bootstrap");
    }

    @Test
    void aProfileSetsDefaultsAndAnythingGivenWins() {
        JobOptions latency = JobArguments.parse("--bootstrap", "b", "--model", "m", "--profile", "latency");
        assertThat(latency.get(InferenceJobOptions.MAX_DELAY_MS)).isEqualTo(2);
        assertThat(latency.get(InferenceJobOptions.BUFFER_TIMEOUT_MS)).isZero();
        assertThat(latency.profileProducerProperties()).containsEntry("linger.ms", "0");

        JobOptions given = JobOptions.builder()
                .flinkConfiguration(java.util.Map.of("wasm-inference.max-delay-ms", "7"))
                .argument("bootstrap", "b").argument("model", "m").argument("profile", "throughput")
                .argument("batch-size", "32").argument("kafka.linger.ms", "5").build();
        assertThat(given.get(InferenceJobOptions.BATCH_SIZE)).isEqualTo(32);
        assertThat(given.get(InferenceJobOptions.MAX_DELAY_MS)).isEqualTo(7);
        assertThat(given.get(InferenceJobOptions.BUFFER_TIMEOUT_MS))
                .isEqualTo(Integer.valueOf(Profile.THROUGHPUT.jobOptions().get("buffer-timeout-ms")));
        assertThat(given.profileProducerProperties()).doesNotContainKey("linger.ms").containsKey("batch.size");
        assertThat(given.kafkaProperties()).containsEntry("linger.ms", "5");
        assertThat(InferenceJob.sourceProperties(given, given.kafkaProperties()))
                .containsEntry("fetch.min.bytes", Profile.THROUGHPUT.consumerProperties().get("fetch.min.bytes"))
                .containsEntry("isolation.level", "read_committed");

        JobOptions none = JobArguments.parse("--bootstrap", "b", "--model", "m");
        assertThat(none.get(InferenceJobOptions.MAX_DELAY_MS)).isEqualTo(10);
        assertThat(none.getOptional(InferenceJobOptions.BUFFER_TIMEOUT_MS)).isEmpty();
        assertThat(none.profileProducerProperties()).isEmpty();
        assertThat(none.profileConsumerProperties()).isEmpty();
    }

    @Test
    void theJobAppliesTheProfilesBufferTimeoutAndAnUnknownProfileIsAUsageError() {
        var env = org.apache.flink.streaming.api.environment.StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.build(env, JobArguments.parse("--bootstrap", "localhost:1", "--model", "sample:digits-mlp",
                "--profile", "latency"));
        assertThat(env.getBufferTimeout()).isZero();
        assertThatThrownBy(() -> JobArguments.parse("--bootstrap", "b", "--model", "m", "--profile", "fast"))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("--profile").hasMessageContaining("fast");
    }

    /** Every option documents itself: a description, and a default unless it is required or optional by nature. */
    @Test
    void everyOptionHasADescriptionAndAUniqueKey() {
        assertThat(InferenceJobOptions.ALL).extracting(org.apache.flink.configuration.ConfigOption::key)
                .doesNotHaveDuplicates().allSatisfy(k -> assertThat(k).matches("[a-z0-9-]+"));
        assertThat(InferenceJobOptions.ALL).allSatisfy(o -> assertThat(
                io.wasminference.jobs.cli.OptionText.description(o)).as(o.key()).isNotBlank());
        assertThat(InferenceJobOptions.REQUIRED).allSatisfy(o -> assertThat(o.hasDefaultValue()).isFalse());
    }
}
