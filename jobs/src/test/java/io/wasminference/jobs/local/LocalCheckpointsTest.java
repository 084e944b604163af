package io.wasminference.jobs.local;

import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalCheckpointsTest {
    private static final String JOB_A = "0123456789abcdef0123456789abcdef";
    private static final String JOB_B = "fedcba9876543210fedcba9876543210";

    @TempDir
    Path root;

    @Test
    void theNewestReadableCheckpointWinsAcrossJobFolders() throws Exception {
        try (LocalCheckpoints c = LocalCheckpoints.open(root, "job")) {
            assertThat(c.latest()).isEmpty();
            checkpoint(c, JOB_A, 7, Instant.parse("2026-01-01T00:00:07Z"));
            checkpoint(c, JOB_B, 2, Instant.parse("2026-01-01T00:01:00Z")); // a later run, counting from its restore
            Files.createDirectories(c.directory().resolve(JOB_B).resolve("chk-3")); // interrupted: no _metadata
            Path garbage = Files.createDirectories(c.directory().resolve(JOB_B).resolve("chk-4"));
            Files.write(garbage.resolve("_metadata"), new byte[] {1, 2, 3});

            LocalCheckpoints.Checkpoint latest = c.latest().orElseThrow();
            assertThat(latest.id()).isEqualTo(2);
            assertThat(latest.directory()).isEqualTo(c.directory().resolve(JOB_B).resolve("chk-2"));
        }
    }

    @Test
    void aSecondRunOfTheSameIdentityIsRefusedWhileTheFirstHoldsTheLock() throws Exception {
        try (LocalCheckpoints first = LocalCheckpoints.open(root, "job")) {
            assertThatThrownBy(() -> LocalCheckpoints.open(root, "job"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("another local run of job 'job'");
            try (LocalCheckpoints other = LocalCheckpoints.open(root, "other-job")) {
                assertThat(other.directory()).isNotEqualTo(first.directory());
            }
        }
        LocalCheckpoints.open(root, "job").close();
    }

    @Test
    void identitiesBecomeDistinctSafeFolderNames() {
        assertThat(LocalCheckpoints.folderName("wasm-inference")).isEqualTo("wasm-inference");
        assertThat(LocalCheckpoints.folderName("a/b")).startsWith("a_b-").isNotEqualTo("a_b");
        assertThat(LocalCheckpoints.folderName("..")).doesNotStartWith(".");
        assertThat(LocalCheckpoints.folderName("../x")).doesNotContain("/");
    }

    @Test
    void pruneKeepsFoldersWithCheckpointsAndRetireMovesEverythingAside() throws Exception {
        try (LocalCheckpoints c = LocalCheckpoints.open(root, "job")) {
            checkpoint(c, JOB_A, 1, Instant.now());
            Files.createDirectories(c.directory().resolve(JOB_B).resolve("shared")); // claimed and subsumed
            c.pruneExcept(Optional.empty());
            assertThat(c.directory().resolve(JOB_A)).exists();
            assertThat(c.directory().resolve(JOB_B)).doesNotExist();

            Path retired = c.retireAll().orElseThrow();
            assertThat(retired.resolve(JOB_A).resolve("chk-1").resolve("_metadata")).exists();
            assertThat(c.latest()).isEmpty();
            assertThat(c.retireAll()).isEmpty();
        }
    }

    private static void checkpoint(LocalCheckpoints c, String job, long id, Instant when) throws Exception {
        Path chk = Files.createDirectories(c.directory().resolve(job).resolve("chk-" + id));
        Path metadata = chk.resolve("_metadata");
        try (OutputStream out = Files.newOutputStream(metadata)) {
            Checkpoints.storeCheckpointMetadata(new CheckpointMetadata(id, List.of(), List.of()), out);
        }
        Files.setLastModifiedTime(metadata, FileTime.from(when));
    }
}
