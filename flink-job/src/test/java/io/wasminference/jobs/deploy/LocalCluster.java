package io.wasminference.jobs.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Drives {@code deploy/local/cluster.sh}: a standalone Flink session cluster and a Kafka broker, each process its own
 * JVM, in one folder. Talks to the JobManager over its REST API and to Flink's CLI through the script.
 */
final class LocalCluster implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    final Path root;
    final Path dir;
    final String restUrl;
    final String bootstrap;
    final long startupMillis;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private LocalCluster(Path root, Path dir, Properties env) {
        this.root = root;
        this.dir = dir;
        this.restUrl = env.getProperty("REST_URL");
        this.bootstrap = env.getProperty("KAFKA_BOOTSTRAP");
        this.startupMillis = Long.parseLong(env.getProperty("STARTUP_MS"));
    }

    /** Runs {@code cluster.sh start --dir DIR OPTIONS}; returns once the broker and every TaskManager are up. */
    static LocalCluster start(Path root, Path dir, String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("start", "--dir", dir.toString()));
        args.addAll(Arrays.asList(options));
        Result r = script(root, Duration.ofMinutes(5), args);
        if (r.exitCode != 0) {
            throw new IllegalStateException("cluster.sh start failed (" + r.exitCode + "):\n" + r.output);
        }
        Properties env = new Properties();
        try (var in = Files.newInputStream(dir.resolve("cluster.env"))) {
            env.load(in);
        }
        return new LocalCluster(root, dir, env);
    }

    /** The repository root: the first folder upwards that holds deploy/local/cluster.sh. */
    static Path repositoryRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("deploy/local/cluster.sh"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("deploy/local/cluster.sh not found above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    /** {@code cluster.sh stop}: ends exactly the processes this folder's pid files name. */
    @Override
    public void close() throws IOException {
        try {
            script(root, Duration.ofMinutes(1), List.of("stop", "--dir", dir.toString()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while stopping the cluster in " + dir);
        }
    }

    /** Flink's SQL client ({@code cluster.sh sql-client}) on this cluster (started with {@code --sql}). */
    Result sqlClient(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("sql-client", "--dir", dir.toString()));
        all.addAll(Arrays.asList(args));
        return script(root, Duration.ofMinutes(4), all);
    }

    /** Starts one more TaskManager and returns its name (taskmanager-N). */
    String addTaskManager() throws Exception {
        Result r = script(root, Duration.ofMinutes(2), List.of("add-taskmanager", "--dir", dir.toString()));
        if (r.exitCode != 0) {
            throw new IllegalStateException("cluster.sh add-taskmanager failed:\n" + r.output);
        }
        String[] lines = r.output.strip().split("\n");
        return lines[lines.length - 1].strip();
    }

    /** Flink's CLI ({@code CliFrontend}) with this cluster's configuration. */
    Result flink(String... args) throws Exception {
        List<String> a = new ArrayList<>(List.of("flink", "--dir", dir.toString()));
        a.addAll(Arrays.asList(args));
        return script(root, Duration.ofMinutes(5), a);
    }

    long pid(String process) throws IOException {
        return Long.parseLong(Files.readString(dir.resolve("pid/" + process + ".pid")).strip());
    }

    Path tmpDir(String process) {
        return dir.resolve(process).resolve("tmp");
    }

    Path log(String process) {
        return dir.resolve("log").resolve(process + ".log");
    }

    // ------------------------------------------------------------------------------------------------ REST

    JsonNode get(String path) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(restUrl + path)).GET());
    }

    JsonNode post(String path, Object body) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(restUrl + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
    }

    /** The raw response of a POST: status and body, for calls whose errors the caller inspects. */
    HttpResponse<String> postRaw(String path, Object body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(restUrl + path))
                .timeout(Duration.ofMinutes(3))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    void delete(String path) throws Exception {
        send(HttpRequest.newBuilder(URI.create(restUrl + path)).DELETE());
    }

    void cancel(String jobId) throws Exception {
        send(HttpRequest.newBuilder(URI.create(restUrl + "/jobs/" + jobId + "?mode=cancel"))
                .method("PATCH", HttpRequest.BodyPublishers.noBody()));
    }

    /** {@code POST /jars/upload} as multipart form data, like {@code curl -F jarfile=@JAR}; returns the jar id. */
    String uploadJar(Path jar) throws Exception {
        String boundary = "----wasm-inference-" + UUID.randomUUID();
        String head = "--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"jarfile\"; filename=\"" + jar.getFileName() + "\"\r\n"
                + "Content-Type: application/x-java-archive\r\n\r\n";
        String tail = "\r\n--" + boundary + "--\r\n";
        JsonNode r = send(HttpRequest.newBuilder(URI.create(restUrl + "/jars/upload"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.concat(
                        HttpRequest.BodyPublishers.ofString(head),
                        HttpRequest.BodyPublishers.ofFile(jar),
                        HttpRequest.BodyPublishers.ofString(tail))));
        String filename = r.get("filename").asText();
        return filename.substring(filename.lastIndexOf('/') + 1);
    }

    /** Job state ("RUNNING", ...) and whether every subtask of every vertex runs. */
    JobState state(String jobId) throws Exception {
        JsonNode job = get("/jobs/" + jobId);
        boolean allRunning = true;
        for (JsonNode v : job.get("vertices")) {
            allRunning &= v.at("/tasks/RUNNING").asInt() == v.get("parallelism").asInt();
        }
        return new JobState(job.get("state").asText(), allRunning);
    }

    record JobState(String state, boolean allTasksRunning) {
        boolean fullyRunning() {
            return state.equals("RUNNING") && allTasksRunning;
        }
    }

    /** Which TaskManagers run subtasks of the job's first vertex (the Kafka source chain). */
    List<String> taskManagersOf(String jobId) throws Exception {
        JsonNode job = get("/jobs/" + jobId);
        String vertex = job.get("vertices").get(0).get("id").asText();
        List<String> out = new ArrayList<>();
        for (JsonNode tm : get("/jobs/" + jobId + "/vertices/" + vertex + "/taskmanagers").get("taskmanagers")) {
            if (tm.at("/status-counts/RUNNING").asInt() > 0) {
                out.add(tm.get("taskmanager-id").asText());
            }
        }
        return out;
    }

    /**
     * The value of a metric on every subtask of the job's first vertex (the chain with the inference operator), by
     * the metric id's last part (e.g. {@code modelSha256}); waits until every subtask reports it (the JobManager
     * fetches metrics every metrics.fetcher.update-interval).
     */
    List<String> subtaskMetric(String jobId, String name, Duration timeout) throws Exception {
        JsonNode vertex = get("/jobs/" + jobId).get("vertices").get(0);
        String base = "/jobs/" + jobId + "/vertices/" + vertex.get("id").asText() + "/subtasks/";
        int parallelism = vertex.get("parallelism").asInt();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<String> values = new ArrayList<>();
            for (int i = 0; i < parallelism; i++) {
                String id = null;
                for (JsonNode m : get(base + i + "/metrics")) {
                    if (m.get("id").asText().endsWith("." + name)) {
                        id = m.get("id").asText();
                    }
                }
                if (id != null) {
                    JsonNode v = get(base + i + "/metrics?get=" + URLEncoder.encode(id, StandardCharsets.UTF_8));
                    if (!v.isEmpty()) {
                        values.add(v.get(0).get("value").asText());
                    }
                }
            }
            if (values.size() == parallelism) {
                return values;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("metric " + name + " of job " + jobId + ": " + values.size() + " of "
                        + parallelism + " subtasks report it after " + timeout);
            }
            Thread.sleep(500);
        }
    }

    /** Polls until the job's state satisfies {@code done}; fails after {@code timeout}. */
    JobState awaitJob(String jobId, Predicate<JobState> done, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JobState s = null;
        while (System.nanoTime() < deadline) {
            s = state(jobId);
            if (done.test(s)) {
                return s;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("job " + jobId + " still " + s + " after " + timeout + "; logs in "
                + dir.resolve("log"));
    }

    private JsonNode send(HttpRequest.Builder request) throws Exception {
        HttpResponse<String> r = http.send(request.timeout(Duration.ofMinutes(3)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException(r.request().method() + " " + r.request().uri() + " -> " + r.statusCode()
                    + ": " + r.body());
        }
        return r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
    }

    // ------------------------------------------------------------------------------------------------ files

    /** Every regular file under {@code folder} with its size, by path relative to the folder. */
    static Map<String, Long> files(Path folder) throws IOException {
        Map<String, Long> out = new TreeMap<>();
        if (!Files.exists(folder)) {
            return out;
        }
        try (Stream<Path> files = Files.walk(folder)) {
            files.forEach(f -> {
                try {
                    if (Files.isRegularFile(f)) {
                        out.put(folder.relativize(f).toString(), Files.size(f));
                    }
                } catch (IOException e) {
                    // deleted while we walked
                }
            });
        } catch (UncheckedIOException e) {
            // a folder vanished while we walked it (Flink cleans up its own temp folders)
        }
        return out;
    }

    /**
     * Bytes that appeared between two snapshots of a folder (new files, and growth of existing ones), by what they
     * are: {@code blobCache} (job jars Flink's blob cache holds), {@code wasmtimeJni} (copies of wasmtime's JNI
     * library), {@code other}; and {@code removed}, the bytes of files that disappeared.
     */
    static Map<String, Long> added(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String k : List.of("total", "blobCache", "wasmtimeJni", "other", "removed")) {
            out.put(k, 0L);
        }
        after.forEach((path, size) -> {
            long grown = size - before.getOrDefault(path, 0L);
            if (grown > 0) {
                out.merge("total", grown, Long::sum);
                out.merge(category(path), grown, Long::sum);
            }
        });
        before.forEach((path, size) -> {
            if (!after.containsKey(path)) {
                out.merge("removed", size, Long::sum);
            }
        });
        return out;
    }

    static long jniCopies(Map<String, Long> files) {
        return files.keySet().stream().filter(p -> category(p).equals("wasmtimeJni")).count();
    }

    private static String category(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        if (name.contains("wasmtime_jni") || name.contains("wasmtime-jni")) {
            return "wasmtimeJni";
        }
        return path.contains("blobStorage") ? "blobCache" : "other";
    }

    /** How many distinct copies of wasmtime's JNI library a process has mapped (deleted files included). */
    static long jniMappings(long pid) throws IOException {
        try (Stream<String> maps = Files.lines(Path.of("/proc/" + pid + "/maps"))) {
            return maps.filter(l -> l.contains("wasmtime_jni") || l.contains("wasmtime-jni"))
                    .map(l -> l.substring(l.indexOf('/')))
                    .distinct()
                    .count();
        }
    }

    // ------------------------------------------------------------------------------------------------ processes

    record Result(int exitCode, String output) {}

    private static Result script(Path root, Duration timeout, List<String> args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", root.resolve("deploy/local/cluster.sh").toString()));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true);
        // The cluster runs on the JVM that runs the tests.
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Path out = Files.createTempFile("cluster-sh-", ".out");
        pb.redirectOutput(out.toFile());
        Process p = pb.start();
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("cluster.sh " + args + " still running after " + timeout + ":\n"
                        + Files.readString(out));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
