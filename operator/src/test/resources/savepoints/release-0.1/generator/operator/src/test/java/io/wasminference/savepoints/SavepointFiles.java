package io.wasminference.savepoints;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Moving savepoint directories around: a relocated savepoint must restore from its new place. */
public final class SavepointFiles {
    private SavepointFiles() {}

    /** Where the generators write their results: {@code -Dsavepoints.dir}, else {@code target/release-savepoints}. */
    public static Path outputRoot() {
        return Path.of(System.getProperty("savepoints.dir", "target/release-savepoints")).toAbsolutePath();
    }

    /** A savepoint path as Flink returns it ({@code file:/...}) as a local path. */
    public static Path local(String flinkPath) {
        return flinkPath.startsWith("file:") ? Path.of(URI.create(flinkPath)) : Path.of(flinkPath);
    }

    /** Moves {@code from} to {@code to} (replacing it) by copying and deleting, so it works across file systems. */
    public static void move(Path from, Path to) throws IOException {
        copy(from, to);
        delete(from);
    }

    /** Copies a directory tree, replacing {@code to}. */
    public static void copy(Path from, Path to) throws IOException {
        delete(to);
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    public static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            List<Path> all = files.sorted(Comparator.reverseOrder()).toList();
            for (Path p : all) {
                Files.delete(p);
            }
        }
    }

    /** Total size of the regular files under {@code dir}. */
    public static long size(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            long total = 0;
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                total += Files.size(p);
            }
            return total;
        }
    }
}
