package io.wasminference.record;

import io.wasminference.tensor.Tensor;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.typeinfo.TypeInfo;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The model's answer for one request.
 *
 * @param id the request's id
 * @param key the request's key, or null
 * @param headers the request's headers
 * @param outputs one tensor per model output, by name (one sample, no batch dimension)
 * @param topK for classifiers, the best classes first; empty otherwise
 * @param modelName name of the model that produced it
 * @param modelVersion version of that model
 * @param batchSize how many records shared the wasm call
 * @param queueMicros time the record waited in the batch buffer
 * @param inferenceMicros duration of the wasm call that produced it (whole batch)
 */
@PublicEvolving
@TypeInfo(RecordTypeInfos.PredictionFactory.class)
public record Prediction(String id, byte[] key, List<Header> headers, Map<String, Tensor> outputs,
        List<ClassScore> topK, String modelName, String modelVersion, int batchSize, long queueMicros,
        long inferenceMicros) {

    public Prediction {
        Objects.requireNonNull(id, "id");
        headers = List.copyOf(headers);
        outputs = Map.copyOf(outputs);
        topK = List.copyOf(topK);
        Objects.requireNonNull(modelName, "modelName");
        Objects.requireNonNull(modelVersion, "modelVersion");
    }

    /** The best class of a classifier, or null for other models. */
    public ClassScore top1() {
        return topK.isEmpty() ? null : topK.get(0);
    }

    /** Queue wait plus inference time: how long the record spent in the operator. */
    public long latencyMicros() {
        return queueMicros + inferenceMicros;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Prediction p && id.equals(p.id) && java.util.Arrays.equals(key, p.key)
                && headers.equals(p.headers) && outputs.equals(p.outputs) && topK.equals(p.topK)
                && modelName.equals(p.modelName) && modelVersion.equals(p.modelVersion) && batchSize == p.batchSize
                && queueMicros == p.queueMicros && inferenceMicros == p.inferenceMicros;
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, outputs, modelName, modelVersion);
    }

    @Override
    public String toString() {
        return "Prediction(" + id + ", " + modelName + ":" + modelVersion + (topK.isEmpty() ? "" : ", " + top1()) + ")";
    }
}
