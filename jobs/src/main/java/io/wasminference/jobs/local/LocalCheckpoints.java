package io.wasminference.jobs.local;

import org.apache.flink.runtime.checkpoint.Checkpoints;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The durable checkpoints of one local job identity, in {@code ROOT/IDENTITY/}: Flink writes
 * {@code <job id>/chk-N/_metadata} under it (one job-id folder per start of the JVM). Two jobs with different
 * identities never share checkpoints; two runs of the same identity at once are refused by a file lock, which the
 * operating system releases when the process dies (also on SIGKILL).
 *
 * <p>Not thread-safe; one instance per local run, closed when the run ends.
 */
public final class LocalCheckpoints implements AutoCloseable {
    private static final Pattern JOB_DIR = Pattern.compile("[0-9a-f]{32}");
    private static final Pattern CHECKPOINT_DIR = Pattern.compile("chk-(\\d+)");
    private static final String METADATA = "_metadata";
    private static final String LOCK = ".lock";
    private static final String RUN_INFO = "run.properties";

    private final Path directory;
    private final String identity;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private LocalCheckpoints(Path directory, String identity, FileChannel lockChannel, FileLock lock) {
        this.directory = directory;
        this.identity = identity;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Opens (creating it if needed) the checkpoint folder of {@code identity} under {@code root} and locks it.
     *
     * @throws IllegalStateException if another process holds the lock: a run of the same identity is running
     */
    public static LocalCheckpoints open(Path root, String identity) throws IOException {
        Path directory = root.toAbsolutePath().normalize().resolve(folderName(identity));
        Files.createDirectories(directory);
        FileChannel channel = FileChannel.open(directory.resolve(LOCK), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            lock = null; // held by this JVM
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            throw new IllegalStateException("another local run of job '" + identity + "' is using " + directory
                    + " (its lock file is held by a running process); stop that run first, or give this one another "
                    + "--group-id");
        }
        return new LocalCheckpoints(directory, identity, channel, lock);
    }

    /**
     * A folder name for an identity: the identity itself when it is a safe file name, else its safe characters
     * plus a hash (so that {@code a/b} and {@code a_b} stay apart).
     */
    static String folderName(String identity) {
        String safe = identity.replaceAll("[^A-Za-z0-9._-]", "_");
        if (safe.equals(identity) && !safe.startsWith(".")) {
            return safe;
        }
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
            return safe.replaceFirst("^\\.", "_") + "-" + HexFormat.of().formatHex(hash, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The folder to give Flink as {@code execution.checkpointing.dir}. */
    public Path directory() {
        return directory;
    }

    public String identity() {
        return identity;
    }

    /**
     * The newest completed checkpoint: the most recently written readable {@code chk-N/_metadata} of any job
     * folder. Flink writes {@code _metadata} last and atomically (to a temporary file, then renamed), so a
     * checkpoint that a crash interrupted has none; a {@code _metadata} that cannot be read is skipped.
     */
    public Optional<Checkpoint> latest() throws IOException {
        List<Checkpoint> found = new ArrayList<>();
        for (Path jobDir : jobDirectories()) {
            try (Stream<Path> children = Files.list(jobDir)) {
                for (Path chk : children.toList()) {
                    var m = CHECKPOINT_DIR.matcher(chk.getFileName().toString());
                    Path metadata = chk.resolve(METADATA);
                    if (m.matches() && Files.isRegularFile(metadata)) {
                        readable(metadata).ifPresent(id -> found.add(new Checkpoint(chk, id,
                                lastModified(metadata))));
                    }
                }
            }
        }
        return found.stream().max(Comparator.comparing(Checkpoint::completed).thenComparing(Checkpoint::id));
    }

    /** The checkpoint id in a {@code _metadata} file, or empty if Flink cannot read it. */
    private static Optional<Long> readable(Path metadata) {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(metadata))) {
            return Optional.of(Checkpoints.loadCheckpointMetadata(new DataInputStream(in),
                    LocalCheckpoints.class.getClassLoader(), metadata.getParent().toString()).getCheckpointId());
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static Instant lastModified(Path p) {
        try {
            return Files.getLastModifiedTime(p).toInstant();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private List<Path> jobDirectories() throws IOException {
        try (Stream<Path> children = Files.list(directory)) {
            return children.filter(p -> Files.isDirectory(p) && JOB_DIR.matcher(p.getFileName().toString()).matches())
                    .sorted().toList();
        }
    }

    /**
     * Deletes the job folders that hold no completed checkpoint except {@code keep}'s: what is left of earlier runs
     * whose last checkpoint a later run has claimed (and then subsumed), or of runs that crashed before their first.
     */
    public void pruneExcept(Optional<Checkpoint> keep) throws IOException {
        for (Path jobDir : jobDirectories()) {
            if (keep.isPresent() && keep.get().directory().startsWith(jobDir)) {
                continue;
            }
            boolean hasCheckpoint;
            try (Stream<Path> children = Files.list(jobDir)) {
                hasCheckpoint = children.anyMatch(c -> CHECKPOINT_DIR.matcher(c.getFileName().toString()).matches()
                        && Files.isRegularFile(c.resolve(METADATA)));
            }
            if (!hasCheckpoint) {
                deleteRecursively(jobDir);
            }
        }
    }

    /**
     * Moves every job folder aside into {@code retired-<UTC time>/} (for {@code --fresh}): nothing is deleted, and
     * the next run does not resume from them. Returns the folder they went to, or empty if there was nothing.
     */
    public Optional<Path> retireAll() throws IOException {
        List<Path> jobs = jobDirectories();
        if (jobs.isEmpty()) {
            return Optional.empty();
        }
        Path retired = directory.resolve("retired-" + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'")
                .withZone(ZoneOffset.UTC).format(Instant.now()));
        Files.createDirectories(retired);
        for (Path job : jobs) {
            Files.move(job, retired.resolve(job.getFileName()));
        }
        return Optional.of(retired);
    }

    /** Deletes every job folder: after a run that finished, there is nothing to resume. */
    public void deleteAll() throws IOException {
        for (Path job : jobDirectories()) {
            deleteRecursively(job);
        }
    }

    /** What the checkpoints were taken of (the input topic), as recorded by {@link #recordRun}; empty if unknown. */
    public Properties recordedRun() throws IOException {
        Properties p = new Properties();
        Path file = directory.resolve(RUN_INFO);
        if (Files.exists(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
            }
        }
        return p;
    }

    public void recordRun(Properties run) throws IOException {
        Path tmp = directory.resolve(RUN_INFO + ".tmp");
        try (var out = Files.newOutputStream(tmp)) {
            run.store(out, "what the checkpoints in this folder were taken of");
        }
        Files.move(tmp, directory.resolve(RUN_INFO), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static void deleteRecursively(Path p) throws IOException {
        try (Stream<Path> all = Files.walk(p)) {
            for (Path q : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            lockChannel.close();
        }
    }

    /** A completed checkpoint: its {@code chk-N} folder, id and when its metadata was written. */
    public record Checkpoint(Path directory, long id, Instant completed) {}
}
