package io.wasminference.testutils;

import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.state.OperatorStateHandle;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The savepoints taken with the last release (0.1, commit 665f8e1) and committed as test resources under
 * {@code savepoints/release-0.1/} (how they were made, what they hold and the pitfalls of restoring them: the
 * README.md there). Tests restore copies: Flink reads a savepoint from a directory, and these also reach the jobs
 * module's tests inside the operator's test jar.
 */
public final class ReleaseSavepoints {
    /** The DataStream job of the public operator API; inference operator uid {@value #DATASTREAM_UID}. */
    public static final String DATASTREAM = "datastream-operator";
    public static final String DATASTREAM_UID = "fashion-inference";
    /** The Kafka job with a control topic; inference operator uid {@value #KAFKA_JOB_UID}. */
    public static final String KAFKA_JOB = "kafka-job";
    public static final String KAFKA_JOB_UID = "wasm-inference";
    /** Where the Kafka job's savepoint expects its model repository: its state holds absolute paths. */
    public static final Path KAFKA_JOB_MODEL_REPO = Path.of("/tmp/wasm-inference-savepoints-release/model-repo");

    private static final String ROOT = "/savepoints/release-0.1/";
    private static final List<String> MODEL_REPO_FILES = Stream.of("1.0.0", "1.1.0", "1.2.0")
            .flatMap(v -> Stream.of("fashion-lenet5/" + v + "/manifest.json", "fashion-lenet5/" + v + "/model.wasm"))
            .toList();

    private ReleaseSavepoints() {}

    /** Copies savepoint {@code name} ({@link #DATASTREAM} or {@link #KAFKA_JOB}) into {@code dir}; returns dir. */
    public static Path copy(String name, Path dir) {
        copyResource(ROOT + name + "/_metadata", dir.resolve("_metadata"));
        return dir;
    }

    /**
     * Puts the Kafka job's model repository (versions 1.0.0, 1.1.0 and 1.2.0 of fashion-lenet5) at
     * {@link #KAFKA_JOB_MODEL_REPO}, replacing whatever is there.
     */
    public static Path installKafkaJobModelRepo() {
        delete(KAFKA_JOB_MODEL_REPO);
        for (String file : MODEL_REPO_FILES) {
            copyResource(ROOT + "kafka-job-model-repo/" + file, KAFKA_JOB_MODEL_REPO.resolve(file));
        }
        return KAFKA_JOB_MODEL_REPO;
    }

    /**
     * How many elements each subtask wrote to operator state {@code stateName} in the savepoint at {@code dir}
     * (subtasks in order; 0 where the state is registered but empty or absent), read from its {@code _metadata}
     * without running a job.
     */
    public static List<Integer> operatorStateElements(Path dir, String stateName) {
        try (DataInputStream in = new DataInputStream(Files.newInputStream(dir.resolve("_metadata")))) {
            CheckpointMetadata metadata = Checkpoints.loadCheckpointMetadata(in,
                    ReleaseSavepoints.class.getClassLoader(), dir.toString());
            for (OperatorState operator : metadata.getOperatorStates()) {
                List<Integer> counts = new ArrayList<>();
                boolean found = false;
                for (int i = 0; i < operator.getParallelism(); i++) {
                    OperatorSubtaskState subtask = operator.getState(i);
                    int n = 0;
                    if (subtask != null) {
                        for (OperatorStateHandle handle : subtask.getManagedOperatorState()) {
                            OperatorStateHandle.StateMetaInfo info = handle.getStateNameToPartitionOffsets()
                                    .get(stateName);
                            if (info != null) {
                                found = true;
                                n += info.getOffsets().length;
                            }
                        }
                    }
                    counts.add(n);
                }
                if (found) {
                    return counts;
                }
            }
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copyResource(String resource, Path target) {
        try (InputStream in = ReleaseSavepoints.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource " + resource);
            }
            Files.createDirectories(target.getParent());
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
