package io.wasminference.jobs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The command-line tool in its own JVM, as a user starts it: {@code java io.wasminference.jobs.Main ARGS} on this
 * test's classpath (passed in {@code CLASSPATH}, not on the command line), its console in a file.
 */
final class JobProcess implements AutoCloseable {
    private final Process process;
    private final Path console;

    private JobProcess(Process process, Path console) {
        this.process = process;
        this.console = console;
    }

    static JobProcess start(Path console, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:+UseSerialGC",
                "--add-opens", "java.base/java.util=ALL-UNNAMED", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                Main.class.getName()));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(console.toFile());
        pb.environment().put("CLASSPATH", System.getProperty("java.class.path"));
        return new JobProcess(pb.start(), console);
    }

    /** What the process printed so far (stdout and stderr). */
    String console() throws IOException {
        return Files.readString(console, StandardCharsets.UTF_8);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL, as a crash or the OOM killer would: no shutdown hook, no clean cancel. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** Waits for the process to end by itself; returns its exit code, or -1 after the timeout. */
    int waitFor(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
