package io.wasminference.jobs.kafka;

import io.wasminference.errors.WasmInferenceException;
import io.wasminference.model.ModelRepository;
import io.wasminference.operator.InferenceResult;
import io.wasminference.operator.WasmInference;
import io.wasminference.record.DeadLetter;
import io.wasminference.record.InferenceRequest;
import io.wasminference.record.ModelCommand;
import io.wasminference.record.ModelEvent;
import io.wasminference.record.Prediction;
import io.wasminference.record.RecordTypeInfos;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import java.util.function.UnaryOperator;

/**
 * The main job: Kafka source, decode, sandboxed inference, encode, Kafka sinks (predictions and dead letters),
 * exactly-once by default. The same code runs under {@code java -jar} (a local MiniCluster) and {@code flink run}.
 */
public final class InferenceJob {
    static final OutputTag<DeadLetter> UNDECODABLE = new OutputTag<>("undecodable", RecordTypeInfos.DEAD_LETTER);

    private InferenceJob() {}

    /** Builds the job on {@code env}. */
    public static void build(StreamExecutionEnvironment env, JobOptions o) {
        build(env, o, UnaryOperator.identity());
    }

    /**
     * Builds the job; {@code tap} sees the predictions between the operator and the sink (tests inject failures
     * there; monitoring code could count).
     */
    public static void build(StreamExecutionEnvironment env, JobOptions o, UnaryOperator<DataStream<Prediction>> tap) {
        env.setParallelism(o.get(InferenceJobOptions.PARALLELISM));
        int checkpointMs = o.get(InferenceJobOptions.CHECKPOINT_MS);
        if (checkpointMs > 0) {
            env.enableCheckpointing(checkpointMs);
            // Below the transaction timeout: a transaction must not outlive the checkpoint that commits it.
            env.getCheckpointConfig().setCheckpointTimeout(o.get(InferenceJobOptions.CHECKPOINT_TIMEOUT_MS));
        }
        o.getOptional(InferenceJobOptions.BUFFER_TIMEOUT_MS).ifPresent(env::setBufferTimeout);
        Properties kafka = o.kafkaProperties();

        var source = KafkaSource.<Either<InferenceRequest, DeadLetter>>builder()
                .setBootstrapServers(o.bootstrap())
                .setTopics(o.inputTopic())
                .setGroupId(o.groupId())
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setDeserializer(new RequestDeserializer(o.model(), o.get(InferenceJobOptions.FORMAT),
                        o.get(InferenceJobOptions.MAX_RECORD_BYTES)))
                .setProperties(sourceProperties(o, kafka));
        if (o.get(InferenceJobOptions.BOUNDED)) {
            source.setBounded(OffsetsInitializer.latest());
        }
        SingleOutputStreamOperator<InferenceRequest> requests = env
                .fromSource(source.build(), WatermarkStrategy.noWatermarks(), "kafka " + o.inputTopic())
                .uid("kafka-source")
                .process(new SplitDecoded())
                .uid("decode")
                .name("decode");

        WasmInference inference = WasmInference.model(o.model())
                .batchSize(o.get(InferenceJobOptions.BATCH_SIZE))
                .maxBatchDelay(Duration.ofMillis(o.get(InferenceJobOptions.MAX_DELAY_MS)))
                .limits(o.sandboxLimits())
                .topK(o.get(InferenceJobOptions.TOP_K))
                .maxOutputBytes(o.get(InferenceJobOptions.MAX_OUTPUT_BYTES));
        o.batchBudget().ifPresent(inference::batchTimeBudget);
        InferenceResult result;
        Optional<String> controlTopic = o.controlTopic();
        if (controlTopic.isEmpty()) {
            result = inference.apply(requests);
        } else {
            result = withControl(env, o, controlTopic.get(), kafka, inference, requests);
        }

        tap.apply(result.predictions())
                .sinkTo(sink(o, kafka, "predictions", new Serializers.PredictionSerializer(o.outputTopic(),
                        o.get(InferenceJobOptions.INCLUDE_OUTPUTS), o.get(InferenceJobOptions.OUTPUT_FORMAT))))
                .uid("kafka-predictions").name("kafka " + o.outputTopic());
        requests.getSideOutput(UNDECODABLE)
                .union(result.deadLetters())
                .sinkTo(sink(o, kafka, "dead-letters", new Serializers.DeadLetterSerializer(o.deadLetterTopic(),
                        o.get(InferenceJobOptions.DEAD_LETTER_PAYLOAD_BYTES))))
                .uid("kafka-dead-letters").name("kafka " + o.deadLetterTopic());
    }

    /** The control topic: commands broadcast to every subtask; events (and unreadable commands) to the status topic. */
    private static InferenceResult withControl(StreamExecutionEnvironment env, JobOptions o, String controlTopic,
            Properties kafka, WasmInference inference, DataStream<InferenceRequest> requests) {
        requireSinglePartition(o.bootstrap(), controlTopic, kafka);
        Properties controlProps = new Properties();
        controlProps.putAll(kafka);
        controlProps.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // The control topic is the log of intended deployments: a fresh job replays it from the start (committed
        // group offsets would make a job started without state skip it); a restored job resumes from its checkpoint.
        controlProps.put("commit.offsets.on.checkpoint", "false");
        KafkaSource<String> control = KafkaSource.<String>builder()
                .setBootstrapServers(o.bootstrap())
                .setTopics(controlTopic)
                .setGroupId(o.groupId() + "-control")
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setValueOnlyDeserializer(new SimpleStringSchema())
                .setProperties(controlProps)
                .build();
        SingleOutputStreamOperator<ModelCommand> commands = env
                .fromSource(control, WatermarkStrategy.noWatermarks(), "kafka " + controlTopic)
                .setParallelism(1).uid("kafka-control")
                .process(new ParseCommands()).setParallelism(1).uid("parse-commands").name("parse commands");
        o.trustedKeys().ifPresent(inference::trustedKeys);
        // JobOptions checked that a control topic comes with a model repository.
        InferenceResult result = inference.repository(new ModelRepository(o.modelRepo().orElseThrow()))
                .applyWithControl(requests, commands);
        result.modelEvents()
                .union(commands.getSideOutput(ParseCommands.INVALID))
                .sinkTo(sink(o, kafka, "status", new Serializers.EventSerializer(o.statusTopic())))
                .uid("kafka-status").name("kafka " + o.statusTopic());
        return result;
    }

    /** Commands must keep their order: one partition. Checked when the job is built, so it fails before it runs. */
    private static void requireSinglePartition(String bootstrap, String controlTopic, Properties kafka) {
        int partitions;
        try {
            partitions = KafkaTools.partitionCount(bootstrap, kafka, controlTopic);
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot describe the control topic " + controlTopic + " at "
                    + bootstrap + ": " + e.getMessage(), e);
        }
        if (partitions != 1) {
            throw new IllegalArgumentException("the control topic " + controlTopic + " has " + partitions
                    + " partitions; it needs exactly one so deploy and rollback commands stay in order (create it "
                    + "with --partitions 1)");
        }
    }

    /** Parses JSON commands; an unreadable one becomes an INVALID event on the status topic. */
    static final class ParseCommands extends ProcessFunction<String, ModelCommand> {
        private static final long serialVersionUID = 1L;
        static final OutputTag<ModelEvent> INVALID = new OutputTag<>("invalid-commands", RecordTypeInfos.EVENT);

        @Override
        public void processElement(String value, Context ctx, Collector<ModelCommand> out) {
            try {
                out.collect(ModelCommand.parse(value));
            } catch (WasmInferenceException | IllegalArgumentException e) {
                ctx.output(INVALID, new ModelEvent(System.currentTimeMillis(), -1, value, "INVALID", "", "", "",
                        e.getMessage()));
            }
        }
    }

    /** The input source's consumer properties: {@code kafka.*}, then the profile's, then the job's defaults. */
    static Properties sourceProperties(JobOptions o, Properties kafka) {
        Properties props = new Properties();
        props.putAll(kafka);
        o.profileConsumerProperties().forEach(props::putIfAbsent);
        // Upstream producers may be transactional: never read what they aborted.
        props.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return props;
    }

    static <T> KafkaSink<T> sink(JobOptions o, Properties kafka, String name,
            org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema<T> serializer) {
        Properties props = new Properties();
        props.putAll(kafka);
        o.profileProducerProperties().forEach(props::putIfAbsent);
        // The connector's default (1 h) exceeds a default broker's transaction.max.timeout.ms (15 min); 15 min
        // leaves room for slow checkpoints (a failed batch is retried for up to its time budget).
        props.putIfAbsent("transaction.timeout.ms",
                Integer.toString(o.get(InferenceJobOptions.TRANSACTION_TIMEOUT_MS)));
        var builder = KafkaSink.<T>builder()
                .setBootstrapServers(o.bootstrap())
                .setRecordSerializer(serializer)
                .setDeliveryGuarantee(o.delivery())
                .setKafkaProducerConfig(props);
        if (o.delivery() == DeliveryGuarantee.EXACTLY_ONCE) {
            builder.setTransactionalIdPrefix(o.groupId() + "-" + name);
        }
        return builder.build();
    }

    /** Routes decoded requests on, undecodable records to the dead-letter side output. */
    static final class SplitDecoded extends ProcessFunction<Either<InferenceRequest, DeadLetter>, InferenceRequest> {
        private static final long serialVersionUID = 1L;

        @Override
        public void processElement(Either<InferenceRequest, DeadLetter> value, Context ctx,
                Collector<InferenceRequest> out) {
            if (value.isLeft()) {
                out.collect(value.left());
            } else {
                ctx.output(UNDECODABLE, value.right());
            }
        }
    }
}
