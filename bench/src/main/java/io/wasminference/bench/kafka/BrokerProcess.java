package io.wasminference.bench.kafka;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A {@link BrokerMain} in a child JVM, as the benchmarks use it: its address, its CPU time, stopped on close. */
final class BrokerProcess implements AutoCloseable {
    private final Process process;
    private final String bootstrap;

    private BrokerProcess(Process process, String bootstrap) {
        this.process = process;
        this.bootstrap = bootstrap;
    }

    /** Starts the broker on this JVM's class path and waits until it is ready. */
    static BrokerProcess start() throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(java(), "-Xms512m", "-Xmx1g", "-XX:+UseG1GC"));
        cmd.addAll(inheritedProperties());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), BrokerMain.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = r.readLine()) != null; ) {
            if (line.startsWith("bootstrap=")) {
                Thread drain = new Thread(() -> {
                    try {
                        r.transferTo(java.io.Writer.nullWriter()); // a full pipe would stall the broker
                    } catch (IOException e) {
                        // the broker ended
                    }
                }, "broker-stdout");
                drain.setDaemon(true);
                drain.start();
                return new BrokerProcess(p, line.substring("bootstrap=".length()));
            }
        }
        throw new IllegalStateException("the broker JVM ended before it was ready (exit " + p.waitFor() + ")");
    }

    String bootstrap() {
        return bootstrap;
    }

    /** CPU time the broker's JVM used so far. */
    long cpuMs() {
        return process.info().totalCpuDuration().map(Duration::toMillis)
                .orElseThrow(() -> new IllegalStateException("no CPU time for the broker, pid " + process.pid()));
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** This JVM's temporary folder and log level, for the benchmark's child JVMs (bench/run.sh cleans that folder). */
    static List<String> inheritedProperties() {
        List<String> props = new ArrayList<>();
        for (String name : List.of("java.io.tmpdir", "log4j2.level", "bench.root")) {
            String value = System.getProperty(name);
            if (value != null) {
                props.add("-D" + name + "=" + value);
            }
        }
        return props;
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
