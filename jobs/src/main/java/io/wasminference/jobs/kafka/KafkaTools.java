package io.wasminference.jobs.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;

/** Kafka clients for the command-line tools: topics, a producer and a read_committed consumer. */
public final class KafkaTools {
    private KafkaTools() {}

    /** Creates the topics that do not exist yet (replication factor 1 on a one-broker cluster, else 3). */
    public static void ensureTopics(String bootstrap, Properties extra, Map<String, Integer> partitions)
            throws Exception {
        Properties p = new Properties();
        p.putAll(extra);
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(p)) {
            int brokers = admin.describeCluster().nodes().get().size();
            short replication = (short) Math.min(3, brokers);
            for (Map.Entry<String, Integer> e : partitions.entrySet()) {
                try {
                    admin.createTopics(List.of(new NewTopic(e.getKey(), e.getValue(), replication))).all().get();
                } catch (ExecutionException ex) {
                    if (!(ex.getCause() instanceof TopicExistsException)) {
                        throw ex;
                    }
                }
            }
        }
    }

    /** Partitions of an existing topic. */
    public static int partitionCount(String bootstrap, Properties extra, String topic) throws Exception {
        Properties p = new Properties();
        p.putAll(extra);
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(p)) {
            return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
        }
    }

    /**
     * An idempotent producer with one request in flight per broker: a batch sent to a partition the broker has not
     * opened yet (a topic created a moment ago) fails and is retried, and with pipelined requests the batch after it
     * may be written first; the retry then fails with OutOfOrderSequenceException until the batch expires (seen in
     * KafkaInferenceJobITCase: "Out of order sequence number ... 0 (incoming seq. number), 87 (current end sequence
     * number)", 78 of 369 records lost after 120 s). One request in flight keeps the order.
     */
    public static KafkaProducer<byte[], byte[]> producer(String bootstrap, Properties extra) {
        Properties p = new Properties();
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1"); // extra may raise it
        p.putAll(extra);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** A consumer without a group that reads committed records only. */
    public static KafkaConsumer<byte[], byte[]> consumer(String bootstrap, Properties extra) {
        Properties p = new Properties();
        p.putAll(extra);
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * A consumer without a group (see {@link #consumer}) assigned every partition of {@code topics}, positioned at
     * their start: for reading a topic from the beginning.
     */
    public static KafkaConsumer<byte[], byte[]> consumerFromStart(String bootstrap, String... topics) {
        KafkaConsumer<byte[], byte[]> c = consumer(bootstrap, new Properties());
        try {
            List<TopicPartition> parts = new ArrayList<>();
            for (String topic : topics) {
                c.partitionsFor(topic).forEach(pi -> parts.add(new TopicPartition(topic, pi.partition())));
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            return c;
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }
}
