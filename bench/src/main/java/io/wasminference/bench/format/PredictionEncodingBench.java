package io.wasminference.bench.format;

import io.wasminference.format.BinaryPredictionCodec;
import io.wasminference.format.PredictionJson;
import io.wasminference.record.ClassScore;
import io.wasminference.record.Prediction;
import io.wasminference.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What encoding one prediction for Kafka costs, JSON against the binary format (docs/formats.md), for a digits-mlp
 * prediction (10 f32 logits, top 3), with and without the raw outputs:
 *
 * <pre>
 * java -cp "bench/target/classes:$(cat bench/target/bench.classpath)" org.openjdk.jmh.Main PredictionEncodingBench
 * </pre>
 * The sizes of that prediction in both formats (docs/formats.md quotes them):
 * <pre>
 * java -cp "bench/target/classes:$(cat bench/target/bench.classpath)" \
 *     io.wasminference.bench.format.PredictionEncodingBench
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PredictionEncodingBench {
    @Param({"json", "binary"})
    public String format;

    @Param({"true", "false"})
    public boolean outputs;

    private Prediction prediction;

    @Setup
    public void setUp() {
        float[] logits = new float[10];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) Math.sin(i) * 7.123f;
        }
        prediction = new Prediction("digits-mlp-test-00017", null, List.of(),
                Map.of("logits", Tensor.ofFloats(new int[] {10}, logits)),
                List.of(new ClassScore(3, "3", 0.98f), new ClassScore(1, "1", 0.01f), new ClassScore(7, "7", 0.004f)),
                "digits-mlp", "1.0.0", 64, 812, 1530);
    }

    /** Prints the prediction's size in bytes in each format, with and without outputs. */
    public static void main(String[] args) {
        PredictionEncodingBench b = new PredictionEncodingBench();
        b.setUp();
        for (String f : List.of("json", "binary")) {
            for (boolean o : new boolean[] {true, false}) {
                b.format = f;
                b.outputs = o;
                System.out.println(f + (o ? " with outputs: " : " without outputs: ") + b.encode().length + " bytes");
            }
        }
    }

    @Benchmark
    public byte[] encode() {
        return format.equals("json") ? PredictionJson.encode(prediction, outputs)
                : BinaryPredictionCodec.encode(prediction, outputs);
    }
}
