package io.wasminference.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.TensorSpec;
import io.wasminference.errors.ModelRefusedException;
import io.wasminference.format.JsonSampleCodec;
import io.wasminference.format.Sample;
import io.wasminference.runtime.ModelInstance;
import io.wasminference.runtime.SamplesWriter;
import io.wasminference.tensor.Tensor;

import java.io.IOException;
import java.math.BigInteger;
import java.util.List;

/** Checks a candidate model before it may serve: same signature as the stream it joins, golden vectors met. */
public final class ModelValidation {
    /** Relative tolerance of golden outputs (absolute below 1). */
    public static final double GOLDEN_TOLERANCE = 1e-5;
    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelValidation() {}

    /** Refuses a candidate whose inputs or outputs differ from the model it would replace. */
    public static void checkCompatible(ModelMetadata current, ModelMetadata candidate) {
        if (!current.inputs().equals(candidate.inputs())) {
            throw new ModelRefusedException("model " + candidate.id() + " takes inputs " + candidate.inputs()
                    + " but the stream carries " + current.inputs() + " (served by " + current.id()
                    + "); a hot swap needs the same inputs");
        }
        if (!current.outputs().equals(candidate.outputs())) {
            throw new ModelRefusedException("model " + candidate.id() + " produces " + candidate.outputs()
                    + " but consumers expect " + current.outputs() + " (from " + current.id()
                    + "); a hot swap needs the same outputs");
        }
    }

    /** Runs every golden vector and refuses the model on the first output that differs. */
    public static void checkGolden(ModelInstance instance, List<String> golden) {
        ModelMetadata meta = instance.metadata();
        JsonSampleCodec codec = new JsonSampleCodec(meta);
        for (int g = 0; g < golden.size(); g++) {
            if (Thread.currentThread().isInterrupted()) {
                throw new ModelRefusedException("golden check of " + meta.id() + " interrupted after " + g + " of "
                        + golden.size() + " vectors");
            }
            JsonNode vector;
            Sample sample;
            try {
                vector = JSON.readTree(golden.get(g));
                sample = codec.decode(golden.get(g));
            } catch (IOException | RuntimeException e) {
                throw new ModelRefusedException("golden vector " + g + " of " + meta.id() + " is unusable: "
                        + e.getMessage(), e);
            }
            List<Tensor> outputs = instance.run(1, new SamplesWriter(List.of(sample.inputs())));
            for (int o = 0; o < meta.outputs().size(); o++) {
                TensorSpec spec = meta.outputs().get(o);
                JsonNode expected = vector.path("outputs").path(spec.name()).path("data");
                Tensor out = outputs.get(o);
                double[] actual = out.toDoubles();
                if (expected.size() != actual.length) {
                    throw new ModelRefusedException("golden vector " + g + " of " + meta.id() + ": output '"
                            + spec.name() + "' has " + actual.length + " values, the vector " + expected.size());
                }
                if (out.isInteger()) {
                    checkExact(g, meta, spec, out.toLongs(), expected);
                    continue;
                }
                for (int i = 0; i < actual.length; i++) {
                    double e = expected.get(i).asDouble();
                    // written so that NaN fails
                    if (!(Math.abs(actual[i] - e) <= GOLDEN_TOLERANCE * Math.max(1.0, Math.abs(e)))) {
                        throw new ModelRefusedException("golden vector " + g + " of " + meta.id() + ": output '"
                                + spec.name() + "'[" + i + "] is " + actual[i] + ", expected " + e);
                    }
                }
            }
        }
    }

    /** Integer outputs must match exactly, digit for digit (no tolerance, never through double). */
    private static void checkExact(int g, ModelMetadata meta, TensorSpec spec, long[] actual, JsonNode expected) {
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
