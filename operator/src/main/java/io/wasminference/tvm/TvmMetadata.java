package io.wasminference.tvm;

import org.apache.flink.annotation.PublicEvolving;
import io.wasminference.abi.DType;
import io.wasminference.abi.MetadataParser;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.Shape;
import io.wasminference.abi.TensorSpec;
import io.wasminference.errors.ModelRefusedException;

import java.io.Serializable;
import java.util.Objects;
import java.util.Set;

/**
 * What a seed-style module cannot declare itself, from its sidecar file (docs/tvm-standalone.md): the ABI v1
 * metadata keys ({@code name}, {@code version}, {@code max_batch}, one {@code input}, one {@code output},
 * {@code kind}, {@code label}, {@code description}) after {@code abi: tvm-standalone}, plus the shapes the module's
 * tensor JSON carries, which usually have a leading batch dimension of 1 that the records do not:
 *
 * <pre>
 * abi: tvm-standalone
 * name: digits-mlp
 * version: 1.0.0
 * max_batch: 128
 * input: pixels f32 64
 * output: logits f32 10
 * input_json_shape: 1x64     # optional; default 1 followed by the input's shape
 * output_json_shape: 1x10    # optional; default 1 followed by the output's shape
 * </pre>
 *
 * @param model the model's metadata as every other part of the system sees it ({@code max_batch} is the operator's
 *     batch limit; the module itself takes one sample per call)
 * @param inputJsonShape the {@code shape} of the input tensor JSON; same element count as the input
 * @param outputJsonShape the {@code shape} the output tensor JSON must have; same element count as the output
 * @param text the sidecar text, as attached to the module
 */
@PublicEvolving
public record TvmMetadata(ModelMetadata model, Shape inputJsonShape, Shape outputJsonShape, String text)
        implements Serializable {

    /** The value of {@code abi:} that marks this kind. */
    public static final String ABI = "tvm-standalone";

    /** Element types of the seed's tensor JSON ({@code FP32}, {@code INT32}, {@code INT8}). */
    public static final Set<DType> DTYPES = Set.of(DType.F32, DType.I32, DType.I8);

    public TvmMetadata {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(inputJsonShape, "inputJsonShape");
        Objects.requireNonNull(outputJsonShape, "outputJsonShape");
        Objects.requireNonNull(text, "text");
    }

    public TensorSpec input() {
        return model.inputs().get(0);
    }

    public TensorSpec output() {
        return model.outputs().get(0);
    }

    /**
     * Parses a sidecar.
     *
     * @throws ModelRefusedException saying which line is wrong and how
     */
    public static TvmMetadata parse(String text) {
        String[] lines = text.split("\r?\n", -1);
        StringBuilder abiV1 = new StringBuilder();
        boolean sawAbi = false;
        String inShape = null;
        String outShape = null;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            int colon = line.indexOf(':');
            String key = colon > 0 && !line.startsWith("#") ? line.substring(0, colon).strip() : "";
            String value = colon > 0 ? line.substring(colon + 1).strip() : "";
            // Lines this class reads itself become blank lines, so the parser's line numbers stay right.
            switch (key) {
                case "abi" -> {
                    if (sawAbi) {
                        throw refused("line " + (i + 1) + ": 'abi' is given twice");
                    }
                    if (!value.equals(ABI)) {
                        throw refused("line " + (i + 1) + ": 'abi: " + value + "' is not 'abi: " + ABI
                                + "'; an ABI v1 module carries its metadata itself (docs/abi.md §2)");
                    }
                    sawAbi = true;
                    abiV1.append("abi: 1");
                }
                case "input_json_shape" -> {
                    if (inShape != null) {
                        throw refused("line " + (i + 1) + ": 'input_json_shape' is given twice");
                    }
                    inShape = value;
                }
                case "output_json_shape" -> {
                    if (outShape != null) {
                        throw refused("line " + (i + 1) + ": 'output_json_shape' is given twice");
                    }
                    outShape = value;
                }
                default -> abiV1.append(lines[i]);
            }
            abiV1.append('\n');
        }
        if (!sawAbi) {
            throw refused("missing 'abi: " + ABI + "'");
        }
        ModelMetadata model;
        try {
            model = MetadataParser.parse(abiV1.toString());
        } catch (ModelRefusedException e) {
            String m = e.getMessage();
            int at = m.indexOf("): ");
            throw refused(at >= 0 ? m.substring(at + 3) : m);
        }
        if (model.inputs().size() != 1 || model.outputs().size() != 1) {
            throw refused("the seed's run() takes one input tensor and returns one output tensor, but "
                    + model.inputs().size() + " inputs and " + model.outputs().size() + " outputs are declared");
        }
        TensorSpec in = model.inputs().get(0);
        TensorSpec out = model.outputs().get(0);
        for (TensorSpec t : new TensorSpec[] {in, out}) {
            if (!DTYPES.contains(t.dtype())) {
                throw refused("'" + t + "': the seed's tensor JSON has dtypes FP32, INT32 and INT8 only (f32, i32, "
                        + "i8)");
            }
        }
        Shape inJson = jsonShape(inShape, in, "input_json_shape");
        Shape outJson = jsonShape(outShape, out, "output_json_shape");
        return new TvmMetadata(model, inJson, outJson, text);
    }

    private static Shape jsonShape(String value, TensorSpec spec, String key) {
        Shape shape;
        if (value == null) {
            int[] dims = spec.shape().dims();
            int[] withBatch = new int[dims.length + 1];
            withBatch[0] = 1;
            System.arraycopy(dims, 0, withBatch, 1, dims.length);
            shape = Shape.of(withBatch);
        } else {
            try {
                shape = Shape.parse(value);
            } catch (IllegalArgumentException e) {
                throw refused(key + ": " + e.getMessage());
            }
        }
        if (shape.elementCount() != spec.shape().elementCount()) {
            throw refused(key + " " + shape + " has " + shape.elementCount() + " elements, but '" + spec + "' has "
                    + spec.shape().elementCount() + ": the JSON must carry exactly one sample");
        }
        return shape;
    }

    private static ModelRefusedException refused(String detail) {
        return new ModelRefusedException("invalid tvm-standalone metadata (docs/tvm-standalone.md): " + detail);
    }
}
