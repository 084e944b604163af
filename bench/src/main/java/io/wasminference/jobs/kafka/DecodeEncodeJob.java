package io.wasminference.jobs.kafka;

import io.wasminference.predict.Outcome;
import io.wasminference.predict.Predictor;
import io.wasminference.predict.PredictorConfig;
import io.wasminference.record.ClassScore;
import io.wasminference.record.InferenceRequest;
import io.wasminference.record.Prediction;
import io.wasminference.record.RecordTypeInfos;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.tensor.Tensor;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A benchmark baseline (issue 15): the Kafka inference job without inference. The job's own source, decoder,
 * dead-letter routing and sinks with their serializers, and in the operator's place a map that answers every
 * request with the same prediction (one the model really made for a test sample), so predictions have the real
 * job's size and shape. The difference to {@link InferenceJob} is the inference operator; the difference to an
 * identity job is decoding and encoding. In the job's package for its package-private serializers.
 */
public final class DecodeEncodeJob {
    private DecodeEncodeJob() {}

    /** Builds the baseline on {@code env} with the job's options (model, topics, formats, delivery, bounded). */
    public static void build(StreamExecutionEnvironment env, JobOptions o, Map<String, Tensor> sampleInput) {
        env.setParallelism(o.get(InferenceJobOptions.PARALLELISM));
        env.enableCheckpointing(o.get(InferenceJobOptions.CHECKPOINT_MS));
        Properties kafka = o.kafkaProperties();
        var source = KafkaSource.<org.apache.flink.types.Either<InferenceRequest, io.wasminference.record.DeadLetter>>
                builder()
                .setBootstrapServers(o.bootstrap())
                .setTopics(o.inputTopic())
                .setGroupId(o.groupId())
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setDeserializer(new RequestDeserializer(o.model(), o.get(InferenceJobOptions.FORMAT),
                        o.get(InferenceJobOptions.MAX_RECORD_BYTES)))
                .setProperties(InferenceJob.sourceProperties(o, kafka));
        if (o.get(InferenceJobOptions.BOUNDED)) {
            source.setBounded(OffsetsInitializer.latest());
        }
        SingleOutputStreamOperator<InferenceRequest> requests = env
                .fromSource(source.build(), WatermarkStrategy.noWatermarks(), "kafka " + o.inputTopic())
                .process(new InferenceJob.SplitDecoded()).name("decode");
        Answer answer = Answer.of(o, sampleInput);
        requests.map(answer).returns(RecordTypeInfos.PREDICTION).name("fixed answer")
                .sinkTo(InferenceJob.sink(o, kafka, "predictions", new Serializers.PredictionSerializer(
                        o.outputTopic(), o.get(InferenceJobOptions.INCLUDE_OUTPUTS),
                        o.get(InferenceJobOptions.OUTPUT_FORMAT))))
                .name("kafka " + o.outputTopic());
        requests.getSideOutput(InferenceJob.UNDECODABLE)
                .sinkTo(InferenceJob.sink(o, kafka, "dead-letters", new Serializers.DeadLetterSerializer(
                        o.deadLetterTopic(), o.get(InferenceJobOptions.DEAD_LETTER_PAYLOAD_BYTES))))
                .name("kafka " + o.deadLetterTopic());
    }

    /** Every request's answer: the model's real outputs and top-k for one sample, with the request's id and key. */
    static final class Answer implements MapFunction<InferenceRequest, Prediction> {
        private static final long serialVersionUID = 1L;
        private final String outputName;
        private final int[] shape;
        private final float[] values;
        private final List<ClassScore> topK;
        private final String modelName;
        private final String modelVersion;

        private Answer(String outputName, int[] shape, float[] values, List<ClassScore> topK, String modelName,
                String modelVersion) {
            this.outputName = outputName;
            this.shape = shape;
            this.values = values;
            this.topK = topK;
            this.modelName = modelName;
            this.modelVersion = modelVersion;
        }

        static Answer of(JobOptions o, Map<String, Tensor> sampleInput) {
            try (Predictor predictor = Predictor.load(o.model(), PredictorConfig.of(SandboxLimits.defaults()))) {
                Outcome outcome = predictor.infer(List.of(sampleInput)).get(0);
                if (!(outcome instanceof Outcome.Predicted p) || p.outputs().size() != 1) {
                    throw new IllegalStateException("the baseline needs a model with one output that predicts the "
                            + "sample, got " + outcome);
                }
                var output = p.outputs().entrySet().iterator().next();
                return new Answer(output.getKey(), output.getValue().shape(), output.getValue().toFloats(),
                        List.copyOf(p.topK()), predictor.metadata().name(), predictor.metadata().version());
            }
        }

        @Override
        public Prediction map(InferenceRequest r) {
            return new Prediction(r.id(), r.key(), r.headers(), Map.of(outputName, Tensor.ofFloats(shape, values)),
                    topK, modelName, modelVersion, 1, 0, 0);
        }
    }
}
