package io.wasminference.predict;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.TensorSpec;
import io.wasminference.errors.ModelRefusedException;
import io.wasminference.format.JsonSampleCodec;
import io.wasminference.tensor.Tensor;

import java.io.IOException;
import java.math.BigInteger;
import java.util.Map;

/**
 * Golden vectors ({@code {"inputs": ..., "outputs": ...}}, docs/hot-swap.md): reading one, and comparing a
 * prediction with its expected outputs. {@link Predictor#checkGolden} runs them.
 */
final class GoldenVectors {
    /** Relative tolerance of float outputs (absolute below 1); integer outputs must match exactly. */
    static final double TOLERANCE = 1e-5;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One vector: the inputs to run and the expected outputs. */
    record Vector(Map<String, Tensor> inputs, JsonNode outputs) {}

    private GoldenVectors() {}

    static Vector parse(int g, ModelMetadata meta, String line) {
        try {
            JsonNode vector = JSON.readTree(line);
            return new Vector(new JsonSampleCodec(meta).decode(line).inputs(), vector.path("outputs"));
        } catch (IOException | RuntimeException e) {
            throw new ModelRefusedException("golden vector " + g + " of " + meta.id() + " is unusable: "
                    + e.getMessage(), e);
        }
    }

    /** Refuses the model on the first output value that differs from vector {@code g}. */
    static void compare(int g, ModelMetadata meta, Vector vector, Map<String, Tensor> outputs) {
        for (TensorSpec spec : meta.outputs()) {
            JsonNode expected = vector.outputs().path(spec.name()).path("data");
            Tensor out = outputs.get(spec.name());
            double[] actual = out.toDoubles();
            if (expected.size() != actual.length) {
                throw new ModelRefusedException("golden vector " + g + " of " + meta.id() + ": output '"
                        + spec.name() + "' has " + actual.length + " values, the vector " + expected.size());
            }
            if (out.isInteger()) {
                compareExact(g, meta, spec, out.toLongs(), expected);
                continue;
            }
            for (int i = 0; i < actual.length; i++) {
                double e = expected.get(i).asDouble();
                // written so that NaN fails
                if (!(Math.abs(actual[i] - e) <= TOLERANCE * Math.max(1.0, Math.abs(e)))) {
                    throw new ModelRefusedException("golden vector " + g + " of " + meta.id() + ": output '"
                            + spec.name() + "'[" + i + "] is " + actual[i] + ", expected " + e);
                }
            }
        }
    }

    /** Integer outputs must match exactly, digit for digit (no tolerance, never through double). */
    private static void compareExact(int g, ModelMetadata meta, TensorSpec spec, long[] actual, JsonNode expected) {
        for (int i = 0; i < actual.length; i++) {
            JsonNode e = expected.get(i);
            boolean same = e.isIntegralNumber() ? e.bigIntegerValue().equals(BigInteger.valueOf(actual[i]))
                    : e.canConvertToExactIntegral() && Math.abs(e.doubleValue()) < 0x1p53
                            && (long) e.doubleValue() == actual[i];
            if (!same) {
                throw new ModelRefusedException("golden vector " + g + " of " + meta.id() + ": output '"
                        + spec.name() + "'[" + i + "] is " + actual[i] + ", expected " + e);
            }
        }
    }
}
