package io.wasminference.bench.flink;

import io.wasminference.bench.BenchModel;
import io.wasminference.model.ModelRef;
import io.wasminference.operator.InferenceResult;
import io.wasminference.operator.WasmInference;
import io.wasminference.record.InferenceRequest;
import io.wasminference.record.Prediction;
import io.wasminference.record.RecordTypeInfos;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The operator-level pipelines: a generated stream of requests (the model's test samples in a cycle), then either
 * the inference operator or an identity map (the pipeline's own ceiling), then a counting sink. Same source, same
 * record type, same chaining and serializers; only the middle operator differs.
 */
public final class Pipelines {
    private Pipelines() {}

    /** Records the sinks of this JVM have seen, and when the measured window started and ended. */
    public static final AtomicLong SEEN = new AtomicLong();
    public static final AtomicLong WINDOW_START = new AtomicLong();
    public static final AtomicLong WINDOW_END = new AtomicLong();
    static volatile long warmup;
    static volatile long total;

    /** Resets the counters for a run of {@code records} whose first {@code warmupRecords} are not timed. */
    public static void reset(long records, long warmupRecords) {
        SEEN.set(0);
        WINDOW_START.set(0);
        WINDOW_END.set(0);
        total = records;
        warmup = warmupRecords;
    }

    /** Records per second over the measured window. */
    public static double recordsPerSecond() {
        long nanos = WINDOW_END.get() - WINDOW_START.get();
        return (total - warmup) / (nanos / 1e9);
    }

    public static DataStream<InferenceRequest> requests(StreamExecutionEnvironment env, BenchModel model,
            long records) {
        return env.fromSequence(0, records - 1).name("sequence")
                .map(new ToRequest(model)).returns(RecordTypeInfos.REQUEST).name("to-request");
    }

    /** requests -> inference operator (batch size {@code batch}, 10 ms max delay) -> counting sink. */
    public static void inference(StreamExecutionEnvironment env, BenchModel model, long records, int batch) {
        InferenceResult r = WasmInference.model(ModelRef.of("classpath:samples/" + model.id() + "/model.wasm"))
                .batchSize(batch)
                .maxBatchDelay(Duration.ofMillis(10))
                .apply(requests(env, model, records));
        r.predictions().sinkTo(new CountingSink<>()).name("count");
        r.deadLetters().sinkTo(new CountingSink<>()).name("dead-letters");
    }

    /** requests -> identity map -> counting sink. */
    public static void identity(StreamExecutionEnvironment env, BenchModel model, long records) {
        requests(env, model, records)
                .map(new Identity()).returns(RecordTypeInfos.REQUEST).name("identity")
                .sinkTo(new CountingSink<>()).name("count");
    }

    static final class ToRequest implements MapFunction<Long, InferenceRequest> {
        private static final long serialVersionUID = 1L;
        private final BenchModel model;

        ToRequest(BenchModel model) {
            this.model = model;
        }

        @Override
        public InferenceRequest map(Long i) {
            int s = (int) (i % BenchModel.SAMPLES);
            return InferenceRequest.of("r" + i, Map.of(model.inputName(), model.sampleTensor(s)));
        }
    }

    static final class Identity implements MapFunction<InferenceRequest, InferenceRequest> {
        private static final long serialVersionUID = 1L;

        @Override
        public InferenceRequest map(InferenceRequest r) {
            return r;
        }
    }

    /** Counts records across all subtasks of this JVM (the MiniCluster runs in it). */
    public static final class CountingSink<T> implements Sink<T> {
        private static final long serialVersionUID = 1L;

        @Override
        public SinkWriter<T> createWriter(WriterInitContext context) {
            return new SinkWriter<>() {
                @Override
                public void write(T element, Context ctx) {
                    if (element instanceof Prediction || element instanceof InferenceRequest
                            || element instanceof org.apache.flink.types.Row) {
                        long n = SEEN.incrementAndGet();
                        if (n == warmup) {
                            WINDOW_START.set(System.nanoTime());
                        }
                        if (n == total) {
                            WINDOW_END.set(System.nanoTime());
                        }
                    }
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }
}
