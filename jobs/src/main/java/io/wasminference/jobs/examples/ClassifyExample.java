package io.wasminference.jobs.examples;

import io.wasminference.format.JsonSampleCodec;
import io.wasminference.jobs.cli.JsonLines;
import io.wasminference.model.ModelRef;
import io.wasminference.operator.InferenceResult;
import io.wasminference.operator.WasmInference;
import io.wasminference.record.InferenceRequest;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.runtime.WasmModel;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.time.Duration;
import java.util.List;

/**
 * The operator in a small DataStream program: classify the bundled Fashion-MNIST test images.
 * Run: {@code java -cp jobs/target/wasm-inference-jobs.jar io.wasminference.jobs.examples.ClassifyExample}.
 */
public final class ClassifyExample {
    private ClassifyExample() {}

    public static void main(String[] args) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        DataStream<InferenceRequest> images = env.fromData(testImages());

        InferenceResult result = WasmInference.model(ModelRef.of("classpath:samples/fashion-lenet5/model.wasm"))
                .batchSize(64)
                .maxBatchDelay(Duration.ofMillis(10))
                .callTimeout(Duration.ofSeconds(2))
                .apply(images);
        result.predictions().map(p -> p.id() + " -> " + p.top1().label()).print();
        result.deadLetters().map(d -> "dead letter " + d.id() + ": " + d.reason()).print();

        env.execute("classify Fashion-MNIST test images");
    }

    private static List<InferenceRequest> testImages() throws Exception {
        byte[] wasm = ModelRef.of("classpath:samples/fashion-lenet5/model.wasm").load();
        try (WasmModel model = WasmModel.load(wasm, SandboxLimits.defaults())) {
            JsonSampleCodec codec = new JsonSampleCodec(model.metadata());
            return JsonLines.read("classpath:samples/fashion-lenet5/test.jsonl.gz").stream()
                    .limit(200)
                    .map(codec::decode)
                    .map(s -> InferenceRequest.of(s.id(), s.inputs()))
                    .toList();
        }
    }
}
