package io.wasminference.jobs.deploy;

import io.github.kawamuray.wasmtime.NativeLibraryLoader;
import io.wasminference.jobs.Main;
import io.wasminference.jobs.kafka.InferenceJobOptions;
import io.wasminference.jobs.kafka.JobOptions;
import io.wasminference.model.ModelRef;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.kafka.common.utils.AppInfoParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The manifests under {@code deploy/} (Kubernetes FlinkDeployment, Dockerfile, Docker Compose) checked against the
 * code and the build: entry class, job arguments parsed by {@link JobOptions}, versions of Flink, Kafka and
 * wasmtime-java, jar names and paths, memory, checkpoints and the configuration keys Flink knows.
 */
class DeployManifestsTest {
    private static final String JAR_IN_IMAGE = "/opt/flink/usrlib/wasm-inference-flink-job.jar";

    private static Path root;
    private static Map<String, Object> deployment;
    private static Map<String, Object> compose;
    private static String dockerfile;

    @BeforeAll
    static void read() throws Exception {
        root = LocalCluster.repositoryRoot();
        deployment = Manifests.yaml(root.resolve(Manifests.FLINK_DEPLOYMENT));
        compose = Manifests.yaml(root.resolve(Manifests.COMPOSE));
        dockerfile = Files.readString(root.resolve(Manifests.DOCKERFILE));
    }

    // ------------------------------------------------------------------------------------------------ Kubernetes

    @Test
    void flinkDeploymentRunsTheJobJarInApplicationModeWithTheMainEntryClass() throws Exception {
        assertThat(Manifests.<String>at(deployment, "apiVersion")).isEqualTo("flink.apache.org/v1beta1");
        assertThat(Manifests.<String>at(deployment, "kind")).isEqualTo("FlinkDeployment");
        // A job spec makes it an application deployment (without one the operator creates a session cluster).
        assertThat(Manifests.<Map<String, Object>>at(deployment, "spec.job")).isNotNull();
        assertThat(Manifests.<String>at(deployment, "spec.job.jarURI")).isEqualTo("local://" + JAR_IN_IMAGE);

        String entryClass = Manifests.at(deployment, "spec.job.entryClass");
        assertThat(entryClass).isEqualTo(Main.class.getName());
        Method main = Class.forName(entryClass).getMethod("main", String[].class);
        assertThat(Modifier.isStatic(main.getModifiers()) && Modifier.isPublic(main.getModifiers())).isTrue();

        assertThat(Manifests.<String>at(deployment, "spec.job.upgradeMode")).isEqualTo("savepoint");
        assertThat(Manifests.<String>at(deployment, "spec.job.state")).isEqualTo("running");
    }

    @Test
    void flinkDeploymentArgsAreOptionsTheJobAccepts() throws Exception {
        List<String> args = k8sArgs();
        assertThat(args.get(0)).as("the subcommand Main dispatches to").isEqualTo("run");
        JobOptions job = Manifests.jobOptions(args);
        assertThat(job.delivery()).isEqualTo(DeliveryGuarantee.EXACTLY_ONCE);
        // The job sets its parallelism from --parallelism; the operator sizes the TaskManagers from job.parallelism.
        assertThat(Manifests.<Integer>at(deployment, "spec.job.parallelism"))
                .isEqualTo(job.get(InferenceJobOptions.PARALLELISM));
        assertModelPinnedToItsBytes(job);
    }

    @Test
    void flinkDeploymentConfigurationHoldsWhatTheJobNeeds() throws Exception {
        Map<String, Object> raw = Manifests.at(deployment, "spec.flinkConfiguration");
        // The CRD types flinkConfiguration as a map of strings: an unquoted number is rejected by the API server.
        raw.forEach((k, v) -> assertThat(v).as("flinkConfiguration." + k + " must be a string")
                .isInstanceOf(String.class));
        Map<String, String> conf = new LinkedHashMap<>(Manifests.strings(raw));
        FlinkSettings.assertKnownKeys(Manifests.FLINK_DEPLOYMENT, conf);

        // The operator turns the pod resources into Flink's process sizes.
        conf.put("taskmanager.memory.process.size", Manifests.at(deployment, "spec.taskManager.resource.memory"));
        conf.put("jobmanager.memory.process.size", Manifests.at(deployment, "spec.jobManager.resource.memory"));
        JobOptions job = Manifests.jobOptions(k8sArgs());
        TaskExecutorProcessSpec spec = FlinkSettings.assertWhatTheJobNeeds(Manifests.FLINK_DEPLOYMENT, conf, job);
        assertThat(spec.getNumSlots()).isPositive();

        // An s3:// checkpoint store needs Flink's S3 plugin of the same Flink version.
        if (conf.get("execution.checkpointing.dir").startsWith("s3://")) {
            assertThat(podEnv("ENABLE_BUILT_IN_PLUGINS")).matches("flink-s3-fs-(presto|hadoop)-"
                    + Pattern.quote(FlinkSettings.flinkVersion()) + "\\.jar");
        }
    }

    @Test
    void flinkVersionOfTheDeploymentMatchesTheFlinkTheJobIsBuiltAgainst() {
        String v = Manifests.at(deployment, "spec.flinkVersion");
        Matcher m = Pattern.compile("v(\\d+)_(\\d+)").matcher(v);
        assertThat(m.matches()).as(v).isTrue();
        String[] flink = FlinkSettings.flinkVersion().split("\\.");
        assertThat(m.group(1)).as("major version").isEqualTo(flink[0]);
        assertThat(Integer.parseInt(m.group(2))).as("minor version").isLessThanOrEqualTo(Integer.parseInt(flink[1]));
    }

    // ------------------------------------------------------------------------------------------------ Dockerfile

    @Test
    void dockerfileIsTheOfficialFlinkImageOfOurFlinkAndJava() {
        assertThat(dockerfile).containsPattern("(?m)^FROM flink:" + Pattern.quote(FlinkSettings.flinkVersion())
                + "-java" + Runtime.version().feature() + "$");
    }

    @Test
    void dockerfilePutsTheThinJobJarInUsrlibWhereTheDeploymentLooksForIt() throws Exception {
        Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(root.resolve("flink-job/pom.xml").toFile());
        String finalName = pom.getElementsByTagName("finalName").item(0).getTextContent().strip();
        assertThat(dockerfile).containsPattern("(?m)^COPY (--chown=\\S+ )?flink-job/target/" + Pattern.quote(finalName)
                + "\\.jar " + Pattern.quote(JAR_IN_IMAGE) + "$");
    }

    @Test
    void dockerfileAddsTheWasmtimeJavaJarTheBuildUsesToLib() throws Exception {
        Path jar = Path.of(NativeLibraryLoader.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Matcher version = Pattern.compile("wasmtime-java-(.+)\\.jar").matcher(jar.getFileName().toString());
        assertThat(version.matches()).as(jar.toString()).isTrue();
        String v = version.group(1);
        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(jar)));

        Matcher add = Pattern.compile("ADD [^\\n]*?--checksum=sha256:([0-9a-f]{64})\\s+(\\S+)\\s+(\\S+)")
                .matcher(dockerfile.replace("\\\n", " "));
        assertThat(add.find()).as("an ADD with --checksum in " + Manifests.DOCKERFILE).isTrue();
        assertThat(add.group(1)).as("checksum of wasmtime-java-" + v + ".jar").isEqualTo(sha256);
        assertThat(add.group(2)).isEqualTo("https://repo1.maven.org/maven2/io/github/kawamuray/wasmtime/wasmtime-java/"
                + v + "/wasmtime-java-" + v + ".jar");
        assertThat(add.group(3)).isEqualTo("/opt/flink/lib/wasmtime-java-" + v + ".jar");
    }

    // ------------------------------------------------------------------------------------------------ Compose

    @Test
    void composeRunsTheSameImageAsKubernetesBuiltFromTheSameDockerfile() {
        String k8sImage = Manifests.at(deployment, "spec.image");
        String name = k8sImage.substring(k8sImage.lastIndexOf('/') + 1);
        for (String service : List.of("jobmanager", "taskmanager", "submit")) {
            assertThat(Manifests.<String>at(compose, "services." + service + ".image")).as(service).isEqualTo(name);
        }
        assertThat(Manifests.<String>at(compose, "services.jobmanager.build.dockerfile"))
                .isEqualTo(Manifests.DOCKERFILE);
        String context = Manifests.at(compose, "services.jobmanager.build.context");
        assertThat(root.resolve("deploy/compose").resolve(context).normalize()).isEqualTo(root);
    }

    @Test
    void composeKafkaIsTheKafkaVersionOfTheClients() {
        assertThat(Manifests.<String>at(compose, "services.kafka.image"))
                .isEqualTo("apache/kafka:" + AppInfoParser.getVersion());
    }

    @Test
    void composeFlinkPropertiesHoldWhatTheJobNeedsAndAgreeWithKubernetes() throws Exception {
        Map<String, String> props = Manifests.strings(Manifests.flatten(Manifests.yaml(
                Manifests.<String>at(compose, "services.jobmanager.environment.FLINK_PROPERTIES"))));
        FlinkSettings.assertKnownKeys(Manifests.COMPOSE, props);
        for (String service : List.of("taskmanager", "submit")) {
            assertThat(Manifests.<String>at(compose, "services." + service + ".environment.FLINK_PROPERTIES"))
                    .as(service).isEqualTo(Manifests.at(compose, "services.jobmanager.environment.FLINK_PROPERTIES"));
        }
        JobOptions job = Manifests.jobOptions(composeArgs());
        FlinkSettings.assertWhatTheJobNeeds(Manifests.COMPOSE, props, job);

        Map<String, String> k8s = Manifests.strings(Manifests.at(deployment, "spec.flinkConfiguration"));
        for (String key : List.of("taskmanager.numberOfTaskSlots", "classloader.parent-first-patterns.additional",
                "taskmanager.memory.task.off-heap.size", "state.backend.type", "restart-strategy.type",
                "cluster.intercept-user-system-exit")) {
            assertThat(props.get(key)).as(key).isEqualTo(k8s.get(key));
        }
        assertThat(MemorySize.parse(props.get("taskmanager.memory.process.size")))
                .isEqualTo(MemorySize.parse(Manifests.at(deployment, "spec.taskManager.resource.memory")));
    }

    @Test
    void composeSubmitsTheJobWithTheKubernetesArgumentsAgainstItsOwnBroker() throws Exception {
        List<String> args = composeArgs();
        JobOptions job = Manifests.jobOptions(args);
        assertThat(job.bootstrap()).isEqualTo("kafka:9092");
        assertThat(Manifests.<String>at(compose, "services.kafka.environment.KAFKA_ADVERTISED_LISTENERS"))
                .contains("PLAINTEXT://" + job.bootstrap());
        assertThat(args).as("the Kubernetes job arguments with the broker's address")
                .isEqualTo(Manifests.withOption(k8sArgs(), "--bootstrap", job.bootstrap()));
        assertModelPinnedToItsBytes(job);

        Map<String, String> props = Manifests.strings(Manifests.flatten(Manifests.yaml(
                Manifests.<String>at(compose, "services.jobmanager.environment.FLINK_PROPERTIES"))));
        int slots = Integer.parseInt(props.get("taskmanager.numberOfTaskSlots"));
        int taskManagers = Manifests.<Integer>at(compose, "services.taskmanager.deploy.replicas");
        assertThat(job.get(InferenceJobOptions.PARALLELISM)).as("parallelism fits the slots")
                .isLessThanOrEqualTo(slots * taskManagers);
        String topics = String.join(" ", Manifests.stringList(Manifests.at(compose, "services.topics.command")));
        for (String topic : List.of(job.inputTopic(), job.outputTopic(), job.deadLetterTopic())) {
            assertThat(topics).as("the topics service creates " + topic).containsPattern("\\b" + topic + "\\b");
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static List<String> k8sArgs() {
        return Manifests.stringList(Manifests.at(deployment, "spec.job.args"));
    }

    /** The submit service's job arguments: whatever follows the job jar in its `flink run` command. */
    private static List<String> composeArgs() {
        List<String> command = Manifests.stringList(Manifests.at(compose, "services.submit.command"));
        assertThat(command.subList(0, 2)).isEqualTo(List.of("flink", "run"));
        String jobManager = Manifests.option(command, "--jobmanager");
        assertThat(jobManager).as("flink run --jobmanager").isNotNull();
        assertThat(Manifests.<Object>at(compose, "services." + jobManager.split(":")[0]))
                .as("the service " + jobManager + " names").isNotNull();
        int jar = command.indexOf(JAR_IN_IMAGE);
        assertThat(jar).as("the job jar in the submit command").isPositive();
        return command.subList(jar + 1, command.size());
    }

    private static String podEnv(String name) {
        List<Map<String, Object>> containers = Manifests.at(deployment, "spec.podTemplate.spec.containers");
        for (Map<String, Object> c : containers) {
            List<Map<String, Object>> env = Manifests.at(c, "env");
            for (Map<String, Object> e : env == null ? List.<Map<String, Object>>of() : env) {
                if (name.equals(e.get("name"))) {
                    return String.valueOf(e.get("value"));
                }
            }
        }
        return null;
    }

    /** A bundled model pinned with --model-sha256 must be pinned to the bytes the jar really carries. */
    private static void assertModelPinnedToItsBytes(JobOptions job) throws Exception {
        ModelRef model = job.model();
        if (model.location().startsWith("classpath:") && model.expectedSha256().isPresent()) {
            byte[] bytes = DeployManifestsTest.class.getResourceAsStream(
                    "/" + model.location().substring("classpath:".length())).readAllBytes();
            assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)))
                    .as("sha256 of " + model.location()).isEqualTo(model.expectedSha256().get());
        }
    }
}
