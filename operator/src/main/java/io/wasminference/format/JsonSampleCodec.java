package io.wasminference.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasminference.abi.DType;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.TensorSpec;
import io.wasminference.errors.InvalidInputException;
import io.wasminference.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Decodes the JSON sample format against a model's metadata (docs/formats.md):
 *
 * <pre>
 * {"id": "a1", "shape": [28, 28], "dtype": "u8", "data": [0, 12, ...], "label": 3}          one input
 * {"id": "a2", "inputs": {"x": {"shape": [4], "data": [1.0, 2.0, 3.0, 4.0]}, "y": {...}}}   named inputs
 * </pre>
 *
 * {@code dtype} is optional (it defaults to the input's dtype and must match it when given); {@code shape} is the
 * shape of one sample and must equal the model's (a leading batch dimension of 1 is accepted). Values must be
 * finite and fit the dtype. Every problem is an {@link InvalidInputException} that says what was wrong.
 *
 * <p>Thread-safety: immutable and thread-safe.
 */
public final class JsonSampleCodec {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final ModelMetadata metadata;

    public JsonSampleCodec(ModelMetadata metadata) {
        this.metadata = metadata;
    }

    /** Decodes one JSON document (e.g. one line of a JSON-lines file). */
    public Sample decode(String json) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new InvalidInputException("malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidInputException("unreadable JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new InvalidInputException("a sample must be a JSON object like {\"id\": ..., \"shape\": [...], "
                    + "\"data\": [...]}");
        }
        String id = root.hasNonNull("id") ? root.get("id").asText() : "";
        OptionalInt label = OptionalInt.empty();
        if (root.hasNonNull("label")) {
            if (!root.get("label").canConvertToInt()) {
                throw new InvalidInputException(where(id) + "'label' must be an integer class index");
            }
            label = OptionalInt.of(root.get("label").asInt());
        }
        Map<String, Tensor> inputs = new HashMap<>();
        if (root.has("inputs")) {
            JsonNode named = root.get("inputs");
            if (!named.isObject()) {
                throw new InvalidInputException(where(id) + "'inputs' must be an object of input name to tensor");
            }
            Iterator<Map.Entry<String, JsonNode>> fields = named.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                TensorSpec spec = metadata.input(f.getKey()).orElseThrow(() -> new InvalidInputException(where(id)
                        + "model " + metadata.id() + " has no input '" + f.getKey() + "'; its inputs are "
                        + metadata.inputs()));
                inputs.put(spec.name(), tensor(id, spec, f.getValue()));
            }
        } else {
            if (metadata.inputs().size() != 1) {
                throw new InvalidInputException(where(id) + "model " + metadata.id() + " has "
                        + metadata.inputs().size() + " inputs " + metadata.inputs()
                        + "; give them as \"inputs\": {\"name\": {\"shape\": ..., \"data\": ...}}");
            }
            TensorSpec spec = metadata.inputs().get(0);
            inputs.put(spec.name(), tensor(id, spec, root));
        }
        for (TensorSpec spec : metadata.inputs()) {
            if (!inputs.containsKey(spec.name())) {
                throw new InvalidInputException(where(id) + "input '" + spec.name() + "' (" + spec + ") is missing");
            }
        }
        return new Sample(id, inputs, label);
    }

    private static Tensor tensor(String id, TensorSpec spec, JsonNode node) {
        String in = where(id) + "input '" + spec.name() + "' ";
        if (node.hasNonNull("dtype")) {
            DType given;
            try {
                given = DType.fromAbiName(node.get("dtype").asText());
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException(in + e.getMessage());
            }
            if (given != spec.dtype()) {
                throw new InvalidInputException(in + "has dtype " + given + " but the model expects " + spec.dtype());
            }
        }
        int[] expected = spec.shape().dims();
        if (node.has("shape")) {
            JsonNode shapeNode = node.get("shape");
            if (!shapeNode.isArray()) {
                throw new InvalidInputException(in + "'shape' must be an array of integers");
            }
            int[] shape = new int[shapeNode.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeNode.get(i).asInt(-1);
            }
            boolean same = Arrays.equals(shape, expected);
            boolean batchOfOne = shape.length == expected.length + 1 && shape[0] == 1
                    && Arrays.equals(Arrays.copyOfRange(shape, 1, shape.length), expected);
            if (!same && !batchOfOne) {
                throw new InvalidInputException(in + "has shape " + Arrays.toString(shape)
                        + " but the model expects " + Arrays.toString(expected) + " (" + spec + ")");
            }
        }
        JsonNode data = node.get("data");
        if (data == null || !data.isArray()) {
            throw new InvalidInputException(in + "needs 'data': a flat array of " + spec.shape().elementCount()
                    + " numbers");
        }
        long n = spec.shape().elementCount();
        if (data.size() != n) {
            throw new InvalidInputException(in + "has " + data.size() + " values but shape " + spec.shape()
                    + " needs " + n);
        }
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(spec.sampleBytes())).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            JsonNode v = data.get(i);
            if (!v.isNumber()) {
                throw new InvalidInputException(in + "value " + i + " is " + v + ", not a number"
                        + (v.isTextual() ? " (NaN and Infinity are not accepted)" : ""));
            }
            put(out, spec.dtype(), v.asDouble(), in, i);
        }
        return Tensor.wrap(spec.dtype(), expected, out.array());
    }

    private static void put(ByteBuffer out, DType dtype, double v, String in, int index) {
        if (!Double.isFinite(v)) {
            throw new InvalidInputException(in + "value " + index + " is not finite");
        }
        switch (dtype) {
            case F32 -> {
                if (Math.abs(v) > Float.MAX_VALUE) {
                    throw new InvalidInputException(in + "value " + index + " = " + v + " overflows f32");
                }
                out.putFloat((float) v);
            }
            case F64 -> out.putDouble(v);
            case I32 -> out.putInt((int) integral(v, Integer.MIN_VALUE, Integer.MAX_VALUE, dtype, in, index));
            case I64 -> out.putLong(integral(v, Long.MIN_VALUE, Long.MAX_VALUE, dtype, in, index));
            case I8 -> out.put((byte) integral(v, Byte.MIN_VALUE, Byte.MAX_VALUE, dtype, in, index));
            case U8 -> out.put((byte) integral(v, 0, 255, dtype, in, index));
        }
    }

    private static long integral(double v, long min, long max, DType dtype, String in, int index) {
        if (v != Math.rint(v) || v < min || v > max) {
            throw new InvalidInputException(in + "value " + index + " = " + v + " is not a " + dtype + " (integer in "
                    + min + ".." + max + ")");
        }
        return (long) v;
    }

    private static String where(String id) {
        return id.isEmpty() ? "" : "sample '" + id + "': ";
    }
}
