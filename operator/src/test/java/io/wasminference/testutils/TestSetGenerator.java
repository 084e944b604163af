package io.wasminference.testutils;

import io.wasminference.abi.MetadataParser;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.WasmBinary;
import io.wasminference.format.Sample;
import io.wasminference.record.InferenceRequest;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.connector.datagen.source.GeneratorFunction;

import java.util.List;

/**
 * Generates request {@code i} of a sample model's held-out test set (cycling), with id {@code "r-<i>"}: a
 * checkpointed, replayable source when used with Flink's DataGeneratorSource.
 */
public final class TestSetGenerator implements GeneratorFunction<Long, InferenceRequest> {
    private static final long serialVersionUID = 1L;

    private final String model;
    private transient List<Sample> samples;

    public TestSetGenerator(String model) {
        this.model = model;
    }

    @Override
    public void open(SourceReaderContext readerContext) {
        samples = Fixtures.testSet(model, metadata(model));
    }

    @Override
    public InferenceRequest map(Long index) {
        Sample s = samples.get((int) (index % samples.size()));
        return InferenceRequest.of("r-" + index, s.inputs());
    }

    /** The label of request {@code index}. */
    public static int label(List<Sample> samples, long index) {
        return samples.get((int) (index % samples.size())).label().getAsInt();
    }

    public static ModelMetadata metadata(String model) {
        byte[] wasm = Fixtures.sample(model, "model.wasm");
        return MetadataParser.parse(WasmBinary.parse(wasm).customSections().get(WasmBinary.METADATA_SECTION).get(0));
    }
}
