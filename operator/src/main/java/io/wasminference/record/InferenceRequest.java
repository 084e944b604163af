package io.wasminference.record;

import io.wasminference.tensor.Tensor;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.typeinfo.TypeInfo;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One record to run through the model: an id, the record's key and headers (carried to the prediction), one
 * tensor per model input (the shape of one sample, no batch dimension), and optionally where it came from and
 * its original bytes, so a dead letter can point back at it.
 *
 * @param id caller's identifier, carried to the prediction or dead letter
 * @param key record key, or null
 * @param headers record headers, carried through
 * @param inputs one tensor per model input, by input name
 * @param origin where the record came from (e.g. {@code topic/partition/offset}), or null
 * @param payload the original encoded record, or null
 */
@PublicEvolving
@TypeInfo(RecordTypeInfos.RequestFactory.class)
public record InferenceRequest(String id, byte[] key, List<Header> headers, Map<String, Tensor> inputs,
        String origin, byte[] payload) {

    public InferenceRequest {
        Objects.requireNonNull(id, "id");
        headers = List.copyOf(headers);
        inputs = Map.copyOf(inputs);
    }

    /** A request with just an id and inputs. */
    public static InferenceRequest of(String id, Map<String, Tensor> inputs) {
        return new InferenceRequest(id, null, List.of(), inputs, null, null);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InferenceRequest r && id.equals(r.id) && java.util.Arrays.equals(key, r.key)
                && headers.equals(r.headers) && inputs.equals(r.inputs) && Objects.equals(origin, r.origin)
                && java.util.Arrays.equals(payload, r.payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, java.util.Arrays.hashCode(key), headers, inputs, origin);
    }

    @Override
    public String toString() {
        return "InferenceRequest(" + id + ", " + inputs.keySet() + (origin != null ? ", from " + origin : "") + ")";
    }
}
