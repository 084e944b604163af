package io.wasminference.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository checkout the benchmarks run from: {@code -Dbench.root}, else found upwards from the cwd. */
public final class Repo {
    private Repo() {}

    public static Path root() {
        String prop = System.getProperty("bench.root");
        if (prop != null) {
            return Path.of(prop).toAbsolutePath();
        }
        Path p = Path.of("").toAbsolutePath();
        while (p != null) {
            if (Files.isDirectory(p.resolve("samples/models")) && Files.isRegularFile(p.resolve("pom.xml"))) {
                return p;
            }
            p = p.getParent();
        }
        throw new IllegalStateException("cannot find the repository root from " + Path.of("").toAbsolutePath()
                + ": set -Dbench.root");
    }
}
