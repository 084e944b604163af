package io.wasminference.jobs.deploy;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the thin job jar carries: the project's code, the Kafka connector and kafka-clients, the compiler and the
 * sample models, and nothing the cluster provides (Flink, log4j) or that goes into Flink's lib/ (wasmtime-java), nor
 * the demo's embedded broker. Runs after {@code package} built {@code target/wasm-inference-flink-job.jar}.
 */
class JobJarContentsITCase {
    private static Set<String> entries;
    private static String mainClass;

    @BeforeAll
    static void read() throws Exception {
        Path jar = Path.of("target/wasm-inference-flink-job.jar");
        assertThat(jar).as("the thin job jar (built by `mvn package`)").exists();
        try (JarFile f = new JarFile(jar.toFile())) {
            entries = f.stream().map(e -> e.getName()).collect(Collectors.toSet());
            mainClass = f.getManifest().getMainAttributes().getValue("Main-Class");
        }
        System.out.printf("[job jar] %s: %.1f MiB, %d entries%n", jar, Files.size(jar) / (double) (1 << 20),
                entries.size());
    }

    @Test
    void carriesTheJobTheConnectorTheCompilerAndTheSamples() {
        assertThat(mainClass).as("Main-Class, the entry class of flink run and REST").isEqualTo(
                io.wasminference.jobs.Main.class.getName());
        assertThat(entries).contains(
                "io/wasminference/jobs/Main.class",
                "io/wasminference/jobs/kafka/InferenceJob.class",
                "io/wasminference/operator/WasmInference.class",
                "io/wasminference/compiler/OnnxCompiler.class",
                "org/apache/flink/connector/kafka/source/KafkaSource.class",
                "org/apache/flink/connector/kafka/sink/KafkaSink.class",
                "org/apache/kafka/clients/producer/KafkaProducer.class",
                "com/fasterxml/jackson/databind/ObjectMapper.class",
                "picocli/CommandLine.class",
                "io/wasminference/sql/WasmModelProviderFactory.class",
                "samples/fashion-lenet5/model.wasm",
                "samples/digits-mlp/model.wasm");
    }

    @Test
    void leavesOutWhatTheClusterProvidesAndTheDemosBroker() {
        for (String prefix : new String[] {
            // (not all of org/apache/flink/streaming/: the Kafka connector's own classes live there too)
            "org/apache/flink/streaming/api/", "org/apache/flink/streaming/runtime/", "org/apache/flink/runtime/", "org/apache/flink/api/",
            "org/apache/flink/client/", "org/apache/flink/connector/base/", "org/apache/flink/table/",
            "org/apache/flink/formats/json/", "org/apache/logging/", "org/slf4j/",
            "io/github/kawamuray/wasmtime/", "libwasmtime_jni", "kafka/server/", "org/apache/kafka/common/test/",
            "scala/"}) {
            assertThat(entries).as("nothing under " + prefix).noneMatch(e -> e.startsWith(prefix));
        }
        assertThat(entries).as("the tool's console log configuration").doesNotContain("log4j2.properties");
    }
}
