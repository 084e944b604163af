package io.wasminference.format;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.wasminference.abi.DType;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.TensorSpec;
import io.wasminference.errors.InvalidInputException;
import io.wasminference.tensor.Tensor;
import org.apache.flink.annotation.PublicEvolving;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
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
 * shape of one sample and must equal the model's (a leading batch dimension of 1 is accepted); {@code label}, when
 * present, is a non-negative integer. Values must be finite and fit the dtype; integer dtypes are decoded exactly
 * (never through {@code double}), and a value outside the dtype is rejected, not clamped. A document holds one
 * object: trailing content and duplicate keys are rejected, and nothing is coerced (a shape of {@code [2.0]} or
 * {@code ["2"]} is refused). Every problem is an {@link InvalidInputException} that says what was wrong.
 *
 * <p>Thread-safety: immutable and thread-safe.
 */
@PublicEvolving
public final class JsonSampleCodec {
    private static final ObjectMapper MAPPER = mapper(false);
    /** Keeps numbers with a fraction or exponent as BigDecimal, so integer inputs are checked exactly. */
    private static final ObjectMapper EXACT = mapper(true);
    private static final BigInteger[] NO_RANGE = {};

    private final ModelMetadata metadata;
    private final ObjectMapper mapper;

    public JsonSampleCodec(ModelMetadata metadata) {
        this.metadata = metadata;
        // BigDecimal costs time per number: only models with an integer input need it.
        this.mapper = metadata.inputs().stream().anyMatch(t -> isInteger(t.dtype())) ? EXACT : MAPPER;
    }

    private static ObjectMapper mapper(boolean exactDecimals) {
        JsonMapper.Builder b = JsonMapper.builder().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        if (exactDecimals) {
            // and as written: "3.0" must be reported as 3.0, not 3
            b.enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                    .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES);
        }
        return b.build();
    }

    /** Decodes one JSON document (e.g. one line of a JSON-lines file). */
    public Sample decode(String json) {
        JsonNode root = parse(json);
        if (root == null || !root.isObject()) {
            throw new InvalidInputException("a sample must be a JSON object like {\"id\": ..., \"shape\": [...], "
                    + "\"data\": [...]}");
        }
        String id = root.hasNonNull("id") ? root.get("id").asText() : "";
        OptionalInt label = OptionalInt.empty();
        if (root.hasNonNull("label")) {
            // Strict whatever the caller does with it: the job ignores labels, the test-set tools score them, and
            // both must see the same records as valid.
            JsonNode l = root.get("label");
            if (!l.isIntegralNumber() || !l.canConvertToInt() || l.intValue() < 0) {
                throw new InvalidInputException(where(id) + "'label' must be a non-negative integer class index, got "
                        + l + " (drop the field or send the index: labels are never rounded or looked up by name)");
            }
            label = OptionalInt.of(l.intValue());
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

    /** One JSON document and nothing after it; duplicate keys are errors. */
    private JsonNode parse(String json) {
        try (JsonParser p = mapper.createParser(json)) {
            JsonNode root;
            try {
                root = mapper.readTree(p);
            } catch (JsonProcessingException e) {
                String m = e.getOriginalMessage();
                if (m != null && m.startsWith("Duplicate field '")) {
                    throw new InvalidInputException("malformed JSON: duplicate key '"
                            + m.substring("Duplicate field '".length(), m.indexOf('\'', 17)) + "' at line "
                            + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()
                            + " (each key may appear once per object)");
                }
                throw new InvalidInputException("malformed JSON: " + m);
            }
            if (root != null) {
                boolean trailing;
                try {
                    trailing = p.nextToken() != null;
                } catch (JsonProcessingException e) {
                    trailing = true;
                }
                if (trailing) {
                    throw new InvalidInputException("trailing content after the sample's JSON object (line "
                            + p.currentLocation().getLineNr() + ", column " + p.currentLocation().getColumnNr()
                            + "): a record holds exactly one JSON document");
                }
            }
            return root;
        } catch (IOException e) {
            throw new InvalidInputException("unreadable JSON: " + e.getMessage());
        }
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
                JsonNode d = shapeNode.get(i);
                if (!d.isIntegralNumber() || !d.canConvertToInt() || d.intValue() < 0) {
                    throw new InvalidInputException(in + "'shape' must be an array of non-negative integers: shape["
                            + i + "] is " + d);
                }
                shape[i] = d.intValue();
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
        DType dtype = spec.dtype();
        BigInteger[] range = isInteger(dtype) ? range(dtype) : NO_RANGE;
        for (int i = 0; i < n; i++) {
            JsonNode v = data.get(i);
            if (!v.isNumber()) {
                throw new InvalidInputException(in + "value " + i + " is " + v + ", not a number"
                        + (v.isTextual() ? " (NaN and Infinity are not accepted)" : ""));
            }
            if (isInteger(dtype)) {
                long x = exactInteger(v, range, dtype, in, i);
                switch (dtype) {
                    case I64 -> out.putLong(x);
                    case I32 -> out.putInt((int) x);
                    default -> out.put((byte) x);
                }
            } else {
                putFloating(out, dtype, v.doubleValue(), in, i);
            }
        }
        return Tensor.wrap(dtype, expected, out.array());
    }

    private static void putFloating(ByteBuffer out, DType dtype, double v, String in, int index) {
        if (!Double.isFinite(v)) {
            throw new InvalidInputException(in + "value " + index + " is not finite (or overflows " + dtype + ")");
        }
        if (dtype == DType.F32) {
            if (Math.abs(v) > Float.MAX_VALUE) {
                throw new InvalidInputException(in + "value " + index + " = " + v + " overflows f32");
            }
            out.putFloat((float) v);
        } else {
            out.putDouble(v);
        }
    }

    /**
     * The exact value of an integer element: JSON integers as they are, numbers with a fraction or exponent only
     * when they equal an integer exactly (they arrive as BigDecimal, see {@link #EXACT}); the range is checked
     * before any conversion, so {@code 1e999999999} costs nothing.
     */
    private static long exactInteger(JsonNode v, BigInteger[] range, DType dtype, String in, int index) {
        if (v.isInt() || v.isLong()) { // the common case, without allocating
            long x = v.longValue();
            if (x >= range[0].longValue() && x <= range[1].longValue()) {
                return x;
            }
        }
        BigInteger x = null;
        if (v.isIntegralNumber()) {
            x = v.bigIntegerValue();
        } else if (v.isBigDecimal()) {
            BigDecimal d = v.decimalValue();
            if (d.compareTo(new BigDecimal(range[0])) >= 0 && d.compareTo(new BigDecimal(range[1])) <= 0
                    && d.stripTrailingZeros().scale() <= 0) {
                x = d.toBigIntegerExact();
            }
        } else if (v.canConvertToExactIntegral() && Math.abs(v.doubleValue()) < 0x1p53) {
            x = BigInteger.valueOf((long) v.doubleValue()); // a double below 2^53 is an exact integer
        }
        if (x == null || x.compareTo(range[0]) < 0 || x.compareTo(range[1]) > 0) {
            throw new InvalidInputException(in + "value " + index + " = " + v + " is not a " + dtype + " (integer in "
                    + range[0] + ".." + range[1] + ")");
        }
        return x.longValue();
    }

    private static boolean isInteger(DType dtype) {
        return dtype != DType.F32 && dtype != DType.F64;
    }

    private static BigInteger[] range(DType dtype) {
        long[] r = switch (dtype) {
            case I64 -> new long[] {Long.MIN_VALUE, Long.MAX_VALUE};
            case I32 -> new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE};
            case I8 -> new long[] {Byte.MIN_VALUE, Byte.MAX_VALUE};
            case U8 -> new long[] {0, 255};
            default -> throw new IllegalArgumentException(dtype + " is not an integer dtype");
        };
        return new BigInteger[] {BigInteger.valueOf(r[0]), BigInteger.valueOf(r[1])};
    }

    private static String where(String id) {
        return id.isEmpty() ? "" : "sample '" + id + "': ";
    }
}
