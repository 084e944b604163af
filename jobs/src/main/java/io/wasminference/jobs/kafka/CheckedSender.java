package io.wasminference.jobs.kafka;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A producer that does not lose records silently: every send's result is checked, and {@link #close()} flushes
 * and fails naming how many records the broker did not take and the first reason. A fire-and-forget
 * {@code send} drops records when a request times out under load, and whoever counts them later sees a
 * mismatch instead of the cause.
 */
public final class CheckedSender implements AutoCloseable {
    private final KafkaProducer<byte[], byte[]> producer;
    private final AtomicInteger sent = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicReference<Exception> first = new AtomicReference<>();

    public CheckedSender(String bootstrap, Properties extra) {
        this.producer = KafkaTools.producer(bootstrap, extra);
    }

    /** Sends; the result is checked at {@link #close()} (or by whoever waits on the returned future). */
    public java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata> send(
            ProducerRecord<byte[], byte[]> record) {
        sent.incrementAndGet();
        return producer.send(record, (metadata, e) -> {
            if (e != null) {
                failed.incrementAndGet();
                first.compareAndSet(null, e);
            }
        });
    }

    public void flush() {
        producer.flush();
    }

    /** Records handed to {@link #send} so far. */
    public int sent() {
        return sent.get();
    }

    /**
     * Flushes and closes the producer.
     *
     * @throws IllegalStateException when any record was not written
     */
    @Override
    public void close() {
        try {
            producer.flush();
        } finally {
            producer.close();
        }
        if (failed.get() > 0) {
            throw new IllegalStateException(failed.get() + " of " + sent.get() + " records were not written to "
                    + "Kafka; the first failure: " + first.get(), first.get());
        }
    }
}
