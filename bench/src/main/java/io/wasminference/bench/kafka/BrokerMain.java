package io.wasminference.bench.kafka;

import io.wasminference.jobs.kafka.EmbeddedKafka;

/**
 * A KRaft broker in its own JVM for the benchmarks: prints {@code bootstrap=HOST:PORT} on stdout once it is ready
 * and runs until its stdin closes (its parent ended), so no broker outlives a benchmark.
 */
public final class BrokerMain {
    private BrokerMain() {}

    public static void main(String[] args) throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            System.out.println("bootstrap=" + kafka.bootstrapServers());
            System.out.flush();
            while (System.in.read() >= 0) {
                // wait for the parent to go away
            }
        }
        System.exit(0);
    }
}
