package io.wasminference.jobs.kafka;

import io.wasminference.jobs.cli.Args;
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
        JobOptions o = JobOptions.parse(new String[] {"--bootstrap", "b:9092", "--model", "m.wasm"}, 0);
        assertThat(o.delivery()).isEqualTo(DeliveryGuarantee.EXACTLY_ONCE);
        assertThat(o.integer("batch-size")).isEqualTo(64);
        assertThat(o.inputTopic()).isEqualTo("wasm-inference-requests");
        assertThat(o.model().expectedSha256()).isEmpty();
        assertThatThrownBy(() -> JobOptions.parse(new String[] {"--model", "m.wasm"}, 0))
                .isInstanceOf(Args.UsageException.class)
                .hasMessageContaining("missing required option --bootstrap");
    }

    @Test
    void theSandboxLimitsComeFromTheOptionsIncludingTheStartUpDeadline() {
        JobOptions o = JobOptions.parse(new String[] {"--bootstrap", "b:9092", "--model", "m.wasm",
            "--timeout-ms", "1500", "--startup-timeout-ms", "2500", "--memory-mib", "64"}, 0);
        assertThat(o.sandboxLimits().callTimeout()).isEqualTo(java.time.Duration.ofMillis(1500));
        assertThat(o.sandboxLimits().startupTimeout()).isEqualTo(java.time.Duration.ofMillis(2500));
        assertThat(o.sandboxLimits().memoryLimitBytes()).isEqualTo(64L << 20);
        assertThat(JobOptions.parse(new String[] {"--bootstrap", "b", "--model", "m"}, 0).sandboxLimits().startupTimeout())
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
        JobOptions o = JobOptions.parse(new String[] {"--config", config.toString(), "--batch-size=32",
            "--kafka.sasl.mechanism", "SCRAM-SHA-512"}, 0);
        assertThat(o.bootstrap()).isEqualTo("from-file:9092");
        assertThat(o.integer("batch-size")).isEqualTo(32);
        assertThat(o.kafkaProperties()).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512");
    }

    @Test
    void aBundledSampleIsAClasspathResourceSoEveryTaskManagerFindsIt() {
        JobOptions o = JobOptions.parse(new String[] {"--bootstrap", "b:9092", "--model", "sample:fashion-lenet5"}, 0);
        assertThat(o.model().location()).isEqualTo("classpath:samples/fashion-lenet5/model.wasm");
        assertThat(o.model().load()).isNotEmpty();
        for (String sample : io.wasminference.jobs.cli.Locations.SAMPLES) {
            assertThat(io.wasminference.jobs.cli.Locations.model("sample:" + sample).load()).as(sample).isNotEmpty();
        }
    }

    @Test
    void aBareBooleanOptionMeansTrue() {
        JobOptions o = JobOptions.parse(new String[] {"--bounded", "--bootstrap", "b:9092", "--model", "m.wasm",
            "--fresh"}, 0);
        assertThat(o.flag("bounded")).isTrue();
        assertThat(o.flag("fresh")).isTrue();
        assertThat(JobOptions.parse(new String[] {"--bootstrap", "b", "--model", "m", "--bounded", "false"}, 0)
                .flag("bounded")).isFalse();
        assertThatThrownBy(() -> JobOptions.parse(new String[] {"--bootstrap", "b", "--model", "m", "--bounded",
            "yes"}, 0)).hasMessageContaining("--bounded must be true or false");
    }

    @Test
    void rejectsBadValuesWithTheOptionName() {
        assertThatThrownBy(() -> JobOptions.parse(new String[] {"--bootstrap", "b", "--model", "m",
            "--delivery", "twice"}, 0)).hasMessageContaining("--delivery must be exactly-once, at-least-once or none");
        assertThatThrownBy(() -> JobOptions.parse(new String[] {"--bootstrap", "b", "--model", "m",
            "--batch-size", "lots"}, 0)).hasMessageContaining("--batch-size must be an integer");
        assertThatThrownBy(() -> JobOptions.parse(new String[] {"--bootstrap", "b", "--model", "m",
            "--colour", "red"}, 0)).hasMessageContaining("unknown option --colour");
        assertThatThrownBy(() -> JobOptions.parse(new String[] {"--bootstrap", "b", "--model", "m",
            "--checkpoint-ms", "0"}, 0)).hasMessageContaining("exactly-once needs checkpoints");
        assertThatThrownBy(() -> JobOptions.parse(new String[] {"--bootstrap", "b", "--model", "m",
            "--batch-budget-ms", "-1"}, 0)).hasMessageContaining("--batch-budget-ms must not be negative");
        assertThatThrownBy(() -> JobOptions.parse(new String[] {"--bootstrap", "b", "--model", "m",
            "--max-output-bytes", "0"}, 0)).hasMessageContaining("--max-output-bytes must be at least 1");
    }

    @Test
    void trustedKeysAreReadInTheClientAndNeedAControlTopic() throws Exception {
        Path pub = Files.writeString(dir.resolve("trusted.pem"), io.wasminference.signing.Ed25519Keys.toPem(
                io.wasminference.signing.Ed25519Keys.generate().getPublic()));
        JobOptions o = JobOptions.parse(new String[] {"--bootstrap", "b", "--model", "m", "--model-repo", "/r",
            "--control-topic", "c", "--trusted-keys", pub.toString()}, 0);
        assertThat(o.trustedKeys().ids()).hasSize(1);
        assertThatThrownBy(() -> JobOptions.parse(new String[] {"--bootstrap", "b", "--model", "m",
            "--trusted-keys", pub.toString()}, 0)).hasMessageContaining("--trusted-keys needs --control-topic");
        Path key = Files.writeString(dir.resolve("private.pem"), io.wasminference.signing.Ed25519Keys.toPem(
                io.wasminference.signing.Ed25519Keys.generate().getPrivate()));
        assertThatThrownBy(() -> JobOptions.parse(new String[] {"--bootstrap", "b", "--model", "m", "--model-repo",
            "/r", "--control-topic", "c", "--trusted-keys", key.toString()}, 0))
                .isInstanceOf(Args.UsageException.class)
                .hasMessageContaining("this holds a private key, which must stay with the publisher");
    }
}
