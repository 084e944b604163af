package io.wasminference.jobs.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasminference.jobs.cli.JsonLines;
import io.wasminference.jobs.kafka.JobOptions;
import io.wasminference.jobs.kafka.CheckedSender;
import io.wasminference.jobs.kafka.KafkaTools;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The thin job jar on a real Flink cluster started by {@code deploy/local/cluster.sh}: a JobManager and two
 * TaskManagers, each its own JVM, and a Kafka broker in its own JVM. Submission through Flink's CLI and REST API,
 * a TaskManager killed with SIGKILL mid-stream, and cancel-with-savepoint then resubmission to the same
 * TaskManagers; every case must end with exactly N committed predictions for N records.
 *
 * <p>Runs in failsafe's integration-test phase, after {@code package} built {@code target/wasm-inference-flink-job.jar}
 * (with {@code -Dwasminference.cluster.wasmtime=job-jar}: the tool jar {@code jobs/target/wasm-inference-jobs.jar},
 * the one that bundles wasmtime-java).
 * Measurements (start-up, recovery, temp-directory growth) go to standard output.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class LocalClusterITCase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MODEL = "classpath:samples/digits-mlp/model.wasm";
    private static final String MODEL_VERSION = "digits-mlp:1.0.0";
    private static final String OTHER_MODEL = "classpath:samples/digits-mlp/model-scalar.wasm";
    private static final int N = 4000;
    /** Where wasmtime-java comes from: {@code lib} (Flink's lib/, parent-first, the default) or {@code job-jar}. */
    private static final String WASMTIME = System.getProperty("wasminference.cluster.wasmtime", "lib");

    private static Path root;
    private static LocalCluster cluster;
    private static Path jar;

    @BeforeAll
    static void startCluster() throws Exception {
        root = LocalCluster.repositoryRoot();
        // The thin job jar; with wasmtime-java not in lib/, the job must bring it: the tool jar, which bundles it.
        jar = WASMTIME.equals("lib") ? root.resolve("flink-job/target/wasm-inference-flink-job.jar")
                : root.resolve("jobs/target/wasm-inference-jobs.jar");
        assertThat(jar).as("the job jar (built by `mvn package`)").exists();
        report("submitting %s (%.1f MiB)", root.relativize(jar), Files.size(jar) / (double) (1 << 20));
        Path dir = root.resolve("flink-job/target/local-cluster");
        deleteRecursively(dir);
        cluster = LocalCluster.start(root, dir, "--wasmtime", WASMTIME);
        report("cluster ready in %d ms (JobManager, 2 TaskManagers, Kafka broker; wasmtime-java from %s; %s)",
                cluster.startupMillis, WASMTIME, cluster.dir);
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(0)
    void configYamlHoldsWhatTheJobNeeds() throws Exception {
        Path file = cluster.dir.resolve("flink/conf/config.yaml");
        Map<String, String> conf = Manifests.strings(Manifests.flatten(Manifests.yaml(file)));
        FlinkSettings.assertKnownKeys(file.toString(), conf);
        FlinkSettings.assertWhatTheJobNeeds(file.toString(), conf,
                Manifests.jobOptions(List.of(jobArgs(new Topics("i", "o", "d")))), WASMTIME.equals("lib"));
        assertThat(conf).containsKeys("restart-strategy.type",
                "execution.checkpointing.externalized-checkpoint-retention");
    }

    @Test
    @Order(1)
    void cliSubmissionGivesExactlyNPredictions() throws Exception {
        Topics t = topics();
        produce(t.in, 0, N, 0);
        long t0 = System.nanoTime();
        LocalCluster.Result r = cluster.flink(runArgs(t, "run", "--bounded", "true"));
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("has finished");
        report("CLI: bounded job over %d records finished in %d ms (submission included)", N, millisSince(t0));

        assertExactlyOnce(awaitPredictions(t.out, N), N);
    }

    @Test
    @Order(2)
    void restSubmissionGivesExactlyNPredictions() throws Exception {
        Topics t = topics();
        produce(t.in, 0, N, 0);
        long t0 = System.nanoTime();
        String jarId = cluster.uploadJar(jar);
        report("REST: uploaded %.1f MiB in %d ms", Files.size(jar) / (double) (1 << 20), millisSince(t0));

        Map<String, Object> request = new HashMap<>();
        request.put("entryClass", "io.wasminference.jobs.Main");
        request.put("programArgsList", List.of(jobArgs(t, "--bounded", "true")));
        // main() runs inside the JobManager here: it must return, not call System.exit (the cluster's
        // cluster.intercept-user-system-exit: THROW would turn that into an error answer; without it the JobManager
        // JVM would exit).
        HttpResponse<String> response = cluster.postRaw("/jars/" + jarId + "/run", request);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        String jobId = JSON.readTree(response.body()).get("jobid").asText();
        cluster.awaitJob(jobId, s -> s.state().equals("FINISHED"), Duration.ofMinutes(2));
        report("REST: bounded job over %d records finished in %d ms (upload included)", N, millisSince(t0));

        assertExactlyOnce(awaitPredictions(t.out, N), N);
        cluster.delete("/jars/" + jarId);
    }

    @Test
    @Order(3)
    void killingATaskManagerMidStreamKeepsExactlyOnce() throws Exception {
        Topics t = topics();
        String jobId = submitDetached(runArgs(t, "run"));
        cluster.awaitJob(jobId, LocalCluster.JobState::fullyRunning, Duration.ofMinutes(1));
        try {
            // 400 records a second for 10 s: the TaskManager dies mid-stream and records keep arriving meanwhile.
            Thread producer = produceInBackground(t.in, 0, N, 400);
            awaitCommitted(t.out, N / 4);
            List<String> hosts = cluster.taskManagersOf(jobId);
            assertThat(hosts).as("TaskManagers running the job").isNotEmpty();
            String victim = hosts.get(0);
            long pid = cluster.pid(victim);

            long killedAt = System.nanoTime();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly(); // SIGKILL
            cluster.awaitJob(jobId, s -> !s.fullyRunning(), Duration.ofMinutes(1));
            long noticedMs = millisSince(killedAt);
            cluster.awaitJob(jobId, LocalCluster.JobState::fullyRunning, Duration.ofMinutes(2));
            long recoveredMs = millisSince(killedAt);
            JsonNode restored = cluster.get("/jobs/" + jobId + "/checkpoints").at("/latest/restored");
            report("kill -9 %s (pid %d): job left RUNNING after %d ms, all subtasks RUNNING again after %d ms, restored"
                    + " from checkpoint %s (TaskManagers hosting the job before: %s, after: %s)", victim, pid,
                    noticedMs, recoveredMs, restored.path("id").asText("?"), hosts, cluster.taskManagersOf(jobId));
            assertThat(restored.path("is_savepoint").asBoolean(true)).as("restored from a checkpoint: " + restored)
                    .isFalse();
            assertThat(cluster.get("/jobs/" + jobId + "/exceptions").toString())
                    .as("the failure the JobManager recorded").contains(victim);

            // Capacity back for the next tests: a replacement TaskManager, as a supervisor would start one.
            long t0 = System.nanoTime();
            String replacement = cluster.addTaskManager();
            report("replacement %s registered in %d ms", replacement, millisSince(t0));

            producer.join(TimeUnit.MINUTES.toMillis(1));
            List<JsonNode> predictions = awaitPredictions(t.out, N);
            report("kill -9: all %d predictions committed %d ms after the kill", N, millisSince(killedAt));
            assertExactlyOnce(predictions, N);
        } finally {
            cluster.cancel(jobId);
        }
    }

    @Test
    @Order(4)
    void cancelWithSavepointAndResubmitResumesOnTheSameTaskManagers() throws Exception {
        Topics t = topics();
        Map<String, Map<String, Long>> before = tmpFiles();
        String first = submitDetached(runArgs(t, "run"));
        cluster.awaitJob(first, LocalCluster.JobState::fullyRunning, Duration.ofMinutes(1));
        Map<String, Map<String, Long>> afterFirst = tmpFiles();
        Map<String, Long> mappedFirst = jniMappings();

        Thread producer = produceInBackground(t.in, 0, N, 400);
        awaitCommitted(t.out, N / 4);
        JsonNode trigger = cluster.post("/jobs/" + first + "/savepoints", Map.of("cancel-job", true));
        String savepoint = awaitSavepoint(first, trigger.get("request-id").asText());
        cluster.awaitJob(first, s -> s.state().equals("CANCELED"), Duration.ofMinutes(1));
        report("cancelled with savepoint %s after %d committed predictions", savepoint, countCommitted(t.out));

        long t0 = System.nanoTime();
        // The resubmission names another file as the default model (the same model built without SIMD, other
        // bytes): restored subtasks must keep serving the version pinned in the savepoint.
        String second = submitDetached(runArgs(t, "run", "-s", savepoint, "--model", OTHER_MODEL));
        try {
            cluster.awaitJob(second, LocalCluster.JobState::fullyRunning, Duration.ofMinutes(1));
            report("resubmitted from the savepoint: RUNNING after %d ms", millisSince(t0));
            assertThat(cluster.subtaskMetric(second, "modelSha256", Duration.ofSeconds(30)))
                    .as("sha256 served by each subtask after the restore").containsOnly(sha256(MODEL))
                    .doesNotContain(sha256(OTHER_MODEL));
            Map<String, Map<String, Long>> afterSecond = tmpFiles();
            Map<String, Long> mappedSecond = jniMappings();
            assertThat(cluster.taskManagersOf(second)).as("the same TaskManagers").isSubsetOf(afterFirst.keySet());

            JsonNode restored = cluster.get("/jobs/" + second + "/checkpoints").at("/latest/restored");
            assertThat(restored.get("is_savepoint").asBoolean()).as("restored from a savepoint: " + restored).isTrue();
            assertThat(restored.get("external_path").asText()).isEqualTo(savepoint);

            producer.join(TimeUnit.MINUTES.toMillis(1));
            List<JsonNode> predictions = awaitPredictions(t.out, N);
            assertExactlyOnce(predictions, N);
            assertThat(predictions).allSatisfy(p -> assertThat(p.at("/model/name").asText() + ":"
                    + p.at("/model/version").asText()).isEqualTo(MODEL_VERSION));

            for (String tm : afterSecond.keySet()) {
                Map<String, Long> one = LocalCluster.added(before.getOrDefault(tm, Map.of()), afterFirst.get(tm));
                Map<String, Long> two = LocalCluster.added(afterFirst.get(tm), afterSecond.get(tm));
                report("%s java.io.tmpdir: submission 1 added %s (blob cache %s, wasmtime JNI %s, other %s);"
                                + " resubmission added %s (blob cache %s, wasmtime JNI %s, other %s), removed %s;"
                                + " JNI copies on disk %d, mapped by the JVM %d then %d",
                        tm, mib(one.get("total")), mib(one.get("blobCache")), mib(one.get("wasmtimeJni")),
                        mib(one.get("other")), mib(two.get("total")), mib(two.get("blobCache")),
                        mib(two.get("wasmtimeJni")), mib(two.get("other")), mib(two.get("removed")),
                        LocalCluster.jniCopies(afterSecond.get(tm)), mappedFirst.get(tm), mappedSecond.get(tm));
                // The new user-code class loader must not leave another 18 MB JNI library in the temp directory:
                // in lib/ mode wasmtime-java is loaded once per JVM, parent-first; in job-jar mode the project's
                // NativeLibrary deletes its extracted copy at once.
                assertThat(two.get("wasmtimeJni")).as(tm + ": JNI bytes the resubmission left").isZero();
                if (WASMTIME.equals("job-jar")) {
                    assertThat(one.get("wasmtimeJni")).as(tm + ": JNI bytes submission 1 left").isZero();
                }
                assertThat(two.get("other")).as(tm + ": temp growth outside the blob cache").isLessThan(4L << 20);
                assertThat(two.get("blobCache")).as(tm + ": blob cache growth")
                        .isLessThanOrEqualTo(Files.size(jar) + (1 << 20));
            }
            // The blob cache keeps a finished job's jar for blob.service.cleanup.interval (10 s in the local
            // cluster's config.yaml, 1 h by default), then deletes it: growth per submission is bounded in time.
            long t1 = System.nanoTime();
            for (String tm : afterSecond.keySet()) {
                awaitGone(cluster.tmpDir(tm), "job_" + first, Duration.ofMinutes(1));
            }
            report("the cancelled job's jar left the TaskManagers' blob caches %d ms after the resubmission ran",
                    millisSince(t1));
        } finally {
            cluster.cancel(second);
        }
    }

    /**
     * The Kubernetes FlinkDeployment's job, run the way the operator runs it: application mode (the JobManager runs
     * main() of the jar in usrlib/ with the manifest's entry class and arguments), then an upgrade as with
     * upgradeMode: savepoint: stop with a savepoint, start again from it, here also scaled from the manifest's
     * parallelism to half of it. Only the broker, topics, group and checkpoint interval are replaced.
     */
    @Test
    @Order(5)
    void applicationModeRunsTheKubernetesJobAndUpgradesFromASavepoint() throws Exception {
        Map<String, Object> deployment = Manifests.yaml(root.resolve(Manifests.FLINK_DEPLOYMENT));
        Map<String, String> flinkConf = Manifests.strings(Manifests.at(deployment, "spec.flinkConfiguration"));
        Topics t = topics();
        List<String> args = Manifests.stringList(Manifests.at(deployment, "spec.job.args"));
        args = Manifests.withOption(args, "--bootstrap", cluster.bootstrap);
        args = Manifests.withOption(args, "--input-topic", t.in);
        args = Manifests.withOption(args, "--output-topic", t.out);
        args = Manifests.withOption(args, "--dead-letter-topic", t.dead);
        args = Manifests.withOption(args, "--group-id", "g-" + t.in);
        args = Manifests.withOption(args, "--checkpoint-ms", "1000");
        int parallelism = Manifests.at(deployment, "spec.job.parallelism");
        int slots = Integer.parseInt(flinkConf.get("taskmanager.numberOfTaskSlots"));
        // execution.attached decides whether main() waits for the job: the manifest's value, else Flink's default.
        List<String> start = List.of("--no-kafka", "--wasmtime", WASMTIME, "--slots", Integer.toString(slots),
                "--application", jar.toString(), "--entry-class", Manifests.at(deployment, "spec.job.entryClass"),
                "-D", "execution.attached=" + flinkConf.getOrDefault("execution.attached", "false"));

        List<String> images = JsonLines.read("classpath:samples/fashion-lenet5/test.jsonl.gz");
        int n = images.size();
        produceLines(t.in, images.subList(0, n / 2));
        Path dir = root.resolve("flink-job/target/local-application");
        deleteRecursively(dir);
        String savepoint;
        List<String> first = new ArrayList<>(start);
        first.addAll(List.of("--taskmanagers", Integer.toString((parallelism + slots - 1) / slots), "--"));
        first.addAll(args);
        try (LocalCluster app = LocalCluster.start(root, dir, first.toArray(String[]::new))) {
            String jobId = onlyJob(app);
            app.awaitJob(jobId, LocalCluster.JobState::fullyRunning, Duration.ofMinutes(1));
            report("application mode: JobManager and %d TaskManagers up and the job RUNNING %d ms after start",
                    (parallelism + slots - 1) / slots, app.startupMillis);
            awaitCommitted(t.out, n / 2);
            // What the operator does for upgradeMode: savepoint.
            JsonNode trigger = app.post("/jobs/" + jobId + "/stop", Map.of("drain", false));
            savepoint = awaitSavepoint(app, jobId, trigger.get("request-id").asText());
            String outcome = applicationOutcome(app);
            report("application mode: stopped with savepoint %s; the application then ended as %s", savepoint,
                    outcome);
            assertThat(outcome).as("how main() ended in the JobManager").isEqualTo("FINISHED");
        }
        produceLines(t.in, images.subList(n / 2, n));
        int rescaled = Math.max(1, parallelism / 2);
        List<String> second = new ArrayList<>(start);
        second.addAll(List.of("--taskmanagers", Integer.toString((rescaled + slots - 1) / slots),
                "--from-savepoint", savepoint, "--"));
        second.addAll(Manifests.withOption(args, "--parallelism", Integer.toString(rescaled)));
        try (LocalCluster app = LocalCluster.start(root, dir, second.toArray(String[]::new))) {
            String jobId = onlyJob(app);
            app.awaitJob(jobId, LocalCluster.JobState::fullyRunning, Duration.ofMinutes(1));
            JsonNode restored = app.get("/jobs/" + jobId + "/checkpoints").at("/latest/restored");
            assertThat(restored.path("external_path").asText()).as("restored: " + restored).isEqualTo(savepoint);

            List<JsonNode> predictions = awaitPredictions(t.out, n);
            Map<String, Integer> labels = new HashMap<>();
            for (String line : images) {
                JsonNode img = JSON.readTree(line);
                labels.put(img.get("id").asText(), img.get("label").asInt());
            }
            assertThat(predictions).hasSize(n);
            assertThat(predictions.stream().map(p -> p.get("id").asText()).distinct().count()).isEqualTo(n);
            long correct = predictions.stream()
                    .filter(p -> p.at("/top_k/0/index").asInt() == labels.get(p.get("id").asText())).count();
            JsonNode training = JSON.readTree(getClass().getResourceAsStream(
                    "/samples/fashion-lenet5/training-report.json"));
            assertThat(correct).as("correct predictions across the upgrade")
                    .isEqualTo(training.get("framework_correct").asLong());
            report("application mode: %d images in, %d predictions out across the upgrade (parallelism %d, then %d"
                    + " from the savepoint), %d correct", n, predictions.size(), parallelism, rescaled, correct);
        }
    }

    // ------------------------------------------------------------------------------------------------ job helpers

    private record Topics(String in, String out, String dead) {}

    private static Topics topics() throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        Topics t = new Topics("in-" + id, "out-" + id, "dead-" + id);
        KafkaTools.ensureTopics(cluster.bootstrap, new Properties(), Map.of(t.in, 4, t.out, 2, t.dead, 1));
        return t;
    }

    private static String[] jobArgs(Topics t, String... extra) {
        List<String> args = new ArrayList<>(List.of("run", "--bootstrap", cluster.bootstrap, "--model", MODEL,
                "--input-topic", t.in, "--output-topic", t.out, "--dead-letter-topic", t.dead,
                "--group-id", "g-" + t.in, "--parallelism", "2", "--checkpoint-ms", "500", "--batch-size", "32",
                "--memory-mib", "64"));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    /**
     * {@code ACTION [FLINK OPTIONS] JAR run JOB OPTIONS}: of {@code options}, pairs starting with {@code --} are job
     * options (added after the defaults, so they win), the others Flink CLI options ({@code -s PATH}).
     */
    private static String[] runArgs(Topics t, String action, String... options) {
        String[] flinkOptions = options;
        List<String> args = new ArrayList<>(List.of(action));
        List<String> jobExtra = new ArrayList<>();
        for (int i = 0; i < flinkOptions.length; i++) {
            if (flinkOptions[i].startsWith("--")) {
                jobExtra.add(flinkOptions[i]);
                jobExtra.add(flinkOptions[++i]);
            } else {
                args.add(flinkOptions[i]);
                args.add(flinkOptions[++i]);
            }
        }
        args.add(jar.toString());
        args.addAll(List.of(jobArgs(t, jobExtra.toArray(String[]::new))));
        return args.toArray(String[]::new);
    }

    /** Submits through the CLI in detached mode and returns the job id. */
    private static String submitDetached(String[] runArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of(runArgs));
        args.add(1, "-d");
        LocalCluster.Result r = cluster.flink(args.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.output()).isZero();
        Matcher m = Pattern.compile("Job has been submitted with JobID ([0-9a-f]{32})").matcher(r.output());
        assertThat(m.find()).as(r.output()).isTrue();
        return m.group(1);
    }

    private static String onlyJob(LocalCluster app) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (System.nanoTime() < deadline) {
            JsonNode jobs = app.get("/jobs/overview").get("jobs");
            if (jobs.size() == 1) {
                return jobs.get(0).get("jid").asText();
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the application cluster runs no job after 1 minute; logs in " + app.dir);
    }

    /** How the application's main() ended, from the JobManager's log, once the JobManager exited. */
    private static String applicationOutcome(LocalCluster app) throws Exception {
        ProcessHandle jm = ProcessHandle.of(app.pid("jobmanager")).orElse(null);
        if (jm != null) {
            jm.onExit().get(1, TimeUnit.MINUTES);
        }
        String log = Files.readString(app.log("jobmanager"));
        Matcher m = Pattern.compile(
                "Application \\S+ \\(\\w+\\) switched from state \\w+ to (FINISHED|FAILED|CANCELED)").matcher(log);
        String state = m.find() ? m.group(1) : "?";
        return state + (log.contains("UserSystemExitException") ? " (main() called System.exit)" : "");
    }

    private static String awaitSavepoint(String jobId, String requestId) throws Exception {
        return awaitSavepoint(cluster, jobId, requestId);
    }

    private static String awaitSavepoint(LocalCluster on, String jobId, String requestId) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (System.nanoTime() < deadline) {
            JsonNode s = on.get("/jobs/" + jobId + "/savepoints/" + requestId);
            if (s.at("/status/id").asText().equals("COMPLETED")) {
                JsonNode op = s.get("operation");
                assertThat(op.has("failure-cause")).as("savepoint failed: " + op).isFalse();
                return op.get("location").asText();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("savepoint of " + jobId + " not complete after 1 minute");
    }

    // ------------------------------------------------------------------------------------------------ Kafka

    private static void produceLines(String topic, List<String> lines) throws Exception {
        try (CheckedSender producer = new CheckedSender(cluster.bootstrap, new Properties())) {
            for (String line : lines) {
                String id = JSON.readTree(line).get("id").asText();
                producer.send(new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8),
                        line.getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
    }

    /** Records {@code from..to-1} of the digits test set, cycled, ids {@code r-i}; paced if perSecond > 0. */
    private static void produce(String topic, int from, int to, int perSecond) throws Exception {
        List<String> testSet = JsonLines.read("classpath:samples/digits-mlp/test.jsonl.gz");
        try (CheckedSender producer = new CheckedSender(cluster.bootstrap, new Properties())) {
            long t0 = System.nanoTime();
            for (int i = from; i < to; i++) {
                ObjectNode line = (ObjectNode) JSON.readTree(testSet.get(i % testSet.size()));
                line.put("id", "r-" + i);
                producer.send(new ProducerRecord<>(topic, ("r-" + i).getBytes(StandardCharsets.UTF_8),
                        JSON.writeValueAsBytes(line)));
                if (perSecond > 0) {
                    long due = t0 + TimeUnit.SECONDS.toNanos(i - from) / perSecond;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                }
            }
            producer.flush();
        }
    }

    private static Thread produceInBackground(String topic, int from, int to, int perSecond) {
        Thread t = new Thread(() -> {
            try {
                produce(topic, from, to, perSecond);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "producer-" + topic);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static int countCommitted(String topic) {
        return readCommitted(topic, Duration.ofSeconds(2)).size();
    }

    /** Returns as soon as the topic holds at least {@code n} committed records. */
    private static void awaitCommitted(String topic, int n) throws Exception {
        awaitPredictions(topic, n, Duration.ZERO);
    }

    /**
     * Committed predictions (read_committed) once at least {@code n} arrived, plus whatever else arrives in the next
     * three seconds (six checkpoint intervals): duplicates would show up there.
     */
    private static List<JsonNode> awaitPredictions(String topic, int n) throws Exception {
        return awaitPredictions(topic, n, Duration.ofSeconds(3));
    }

    private static List<JsonNode> awaitPredictions(String topic, int n, Duration quiet) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        List<JsonNode> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = KafkaTools.consumerFromStart(cluster.bootstrap, topic)) {
            while (out.size() < n && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    out.add(JSON.readTree(r.value()));
                }
            }
            assertThat(out.size()).as("committed predictions in " + topic + " after 2 minutes")
                    .isGreaterThanOrEqualTo(n);
            long quietUntil = System.nanoTime() + quiet.toNanos();
            while (System.nanoTime() < quietUntil) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    out.add(JSON.readTree(r.value()));
                }
            }
        }
        return out;
    }

    private static List<ConsumerRecord<byte[], byte[]>> readCommitted(String topic, Duration quiet) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = KafkaTools.consumerFromStart(cluster.bootstrap, topic)) {
            long quietSince = System.nanoTime();
            while (System.nanoTime() - quietSince < quiet.toNanos()) {
                var records = c.poll(Duration.ofMillis(200));
                if (!records.isEmpty()) {
                    records.forEach(out::add);
                    quietSince = System.nanoTime();
                }
            }
        }
        return out;
    }

    private static void assertExactlyOnce(List<JsonNode> predictions, int n) {
        Set<String> ids = new HashSet<>();
        for (JsonNode p : predictions) {
            ids.add(p.get("id").asText());
        }
        assertThat(predictions).as("committed predictions").hasSize(n);
        assertThat(ids).as("distinct ids").hasSize(n);
        for (int i = 0; i < n; i++) {
            assertThat(ids).contains("r-" + i);
        }
    }

    // ------------------------------------------------------------------------------------------------ temp dirs

    /** Waits until no file or folder named {@code name} is left under {@code folder}. */
    private static void awaitGone(Path folder, String name, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            boolean present;
            try (var files = Files.walk(folder)) {
                present = files.anyMatch(f -> f.getFileName().toString().equals(name));
            } catch (java.io.UncheckedIOException e) {
                present = true; // a folder vanished while we walked: look again
            }
            if (!present) {
                return;
            }
            assertThat(System.nanoTime()).as(name + " still under " + folder + " after " + timeout)
                    .isLessThan(deadline);
            Thread.sleep(500);
        }
    }

    /** Files in each running TaskManager's java.io.tmpdir. */
    private static Map<String, Map<String, Long>> tmpFiles() throws Exception {
        Map<String, Map<String, Long>> out = new TreeMap<>();
        for (String tm : runningTaskManagers()) {
            out.put(tm, LocalCluster.files(cluster.tmpDir(tm)));
        }
        return out;
    }

    private static Map<String, Long> jniMappings() throws Exception {
        Map<String, Long> out = new TreeMap<>();
        for (String tm : runningTaskManagers()) {
            out.put(tm, LocalCluster.jniMappings(cluster.pid(tm)));
        }
        return out;
    }

    private static List<String> runningTaskManagers() throws Exception {
        List<String> out = new ArrayList<>();
        try (var pids = Files.list(cluster.dir.resolve("pid"))) {
            for (Path p : pids.sorted().toList()) {
                String name = p.getFileName().toString().replace(".pid", "");
                if (name.startsWith("taskmanager-") && ProcessHandle.of(cluster.pid(name)).isPresent()) {
                    out.add(name);
                }
            }
        }
        return out;
    }

    private static void deleteRecursively(Path dir) throws Exception {
        if (Files.exists(dir)) {
            try (var files = Files.walk(dir)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static String sha256(String classpathModel) throws Exception {
        byte[] bytes = LocalClusterITCase.class.getResourceAsStream(
                "/" + classpathModel.substring("classpath:".length())).readAllBytes();
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }

    private static void report(String format, Object... args) {
        System.out.println("[cluster] " + String.format(Locale.ROOT, format, args));
    }
}
