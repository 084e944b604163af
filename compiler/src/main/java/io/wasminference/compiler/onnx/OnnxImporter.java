package io.wasminference.compiler.onnx;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.wasminference.compiler.UnsupportedModelException;
import io.wasminference.compiler.graph.ConstTensor;
import io.wasminference.compiler.graph.ElemType;
import io.wasminference.compiler.graph.Graph;
import io.wasminference.compiler.graph.Node;
import io.wasminference.compiler.graph.Value;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads an ONNX file (protobuf, generated {@code onnx.proto} classes) into the compiler's {@link Graph}: weights
 * and Constant nodes become constant values, the rest of the nodes keep their ONNX op type and attributes.
 * Refuses what cannot be represented: external weight files, subgraphs, ops of other domains, string tensors.
 */
public final class OnnxImporter {

    /** A declared model input: ONNX element type and dimensions, -1 where the model leaves one open. */
    public record InputDecl(String name, ElemType type, long[] dims, String[] dimNames) {}

    /** What the importer read. */
    public record ImportedModel(Graph graph, List<InputDecl> inputs, List<String> outputNames, String producer,
                                long irVersion, int opset) {}

    private OnnxImporter() {}

    public static ImportedModel read(byte[] bytes) {
        OnnxMl.ModelProto model;
        try {
            model = OnnxMl.ModelProto.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new UnsupportedModelException("not an ONNX model (the protobuf does not parse: " + e.getMessage()
                    + "). Check that the file is a complete .onnx file.", e);
        }
        if (!model.hasGraph() || model.getGraph().getNodeCount() == 0) {
            throw new UnsupportedModelException("not an ONNX model: it has no graph (is this really an .onnx file?)");
        }
        int opset = -1;
        for (OnnxMl.OperatorSetIdProto id : model.getOpsetImportList()) {
            if (id.getDomain().isEmpty() || id.getDomain().equals("ai.onnx")) {
                opset = (int) id.getVersion();
            }
        }
        if (opset < 0) {
            opset = model.getIrVersion() < 3 ? 1 : -1;
        }
        if (opset < 1) {
            throw new UnsupportedModelException("the model imports no version of the default ONNX operator set");
        }
        OnnxMl.GraphProto g = model.getGraph();
        Map<String, Value> values = new HashMap<>();
        for (OnnxMl.TensorProto t : g.getInitializerList()) {
            values.put(t.getName(), Value.ofConstant(t.getName(), tensor(t, "initializer '" + t.getName() + "'")));
        }
        List<Value> inputs = new ArrayList<>();
        List<InputDecl> decls = new ArrayList<>();
        for (OnnxMl.ValueInfoProto vi : g.getInputList()) {
            if (values.containsKey(vi.getName())) {
                continue; // IR < 4 lists weights among the inputs
            }
            InputDecl decl = inputDecl(vi);
            Value v = new Value(vi.getName());
            v.setType(decl.type());
            values.put(vi.getName(), v);
            inputs.add(v);
            decls.add(decl);
        }
        List<Node> nodes = new ArrayList<>();
        int index = 0;
        for (OnnxMl.NodeProto np : g.getNodeList()) {
            String name = np.getName().isEmpty() ? np.getOpType() + "_" + index : np.getName();
            index++;
            String domain = np.getDomain();
            if (!domain.isEmpty() && !domain.equals("ai.onnx")) {
                throw new UnsupportedModelException(np.getOpType() + " node '" + name + "' is from operator domain '"
                        + domain + "'; only the default ONNX domain is supported. Export the model without "
                        + "vendor-specific operators (e.g. without ONNX Runtime's contrib ops).");
            }
            Map<String, Object> attrs = attributes(np, name);
            if (np.getOpType().equals("Constant")) {
                values.put(np.getOutput(0), Value.ofConstant(np.getOutput(0), constantValue(np, name, attrs)));
                continue;
            }
            List<Value> in = new ArrayList<>();
            for (String s : np.getInputList()) {
                if (s.isEmpty()) {
                    in.add(null);
                    continue;
                }
                Value v = values.get(s);
                if (v == null) {
                    throw new UnsupportedModelException(np.getOpType() + " node '" + name + "' reads '" + s
                            + "', which no earlier node, input or initializer defines (the graph is not in "
                            + "topological order or is incomplete)");
                }
                in.add(v);
            }
            List<Value> out = new ArrayList<>();
            for (String s : np.getOutputList()) {
                Value v = new Value(s.isEmpty() ? name + ":unused" + out.size() : s);
                if (!s.isEmpty()) {
                    values.put(s, v);
                }
                out.add(v);
            }
            nodes.add(new Node(name, np.getOpType(), domain, in, out, attrs));
        }
        List<Value> outputs = new ArrayList<>();
        for (OnnxMl.ValueInfoProto vi : g.getOutputList()) {
            Value v = values.get(vi.getName());
            if (v == null) {
                throw new UnsupportedModelException("graph output '" + vi.getName() + "' is not produced by any node");
            }
            outputs.add(v);
        }
        List<String> outputNames = g.getOutputList().stream().map(OnnxMl.ValueInfoProto::getName).toList();
        return new ImportedModel(new Graph(nodes, inputs, outputs, opset), decls, outputNames,
                (model.getProducerName() + " " + model.getProducerVersion()).trim(), model.getIrVersion(), opset);
    }

    private static InputDecl inputDecl(OnnxMl.ValueInfoProto vi) {
        if (!vi.getType().hasTensorType()) {
            throw new UnsupportedModelException("model input '" + vi.getName()
                    + "' is not a tensor (sequences, maps and optionals are not supported)");
        }
        OnnxMl.TypeProto.Tensor tt = vi.getType().getTensorType();
        ElemType type = elemType(tt.getElemType(), "model input '" + vi.getName() + "'");
        if (!tt.hasShape()) {
            return new InputDecl(vi.getName(), type, null, null);
        }
        int rank = tt.getShape().getDimCount();
        long[] dims = new long[rank];
        String[] names = new String[rank];
        for (int i = 0; i < rank; i++) {
            OnnxMl.TensorShapeProto.Dimension d = tt.getShape().getDim(i);
            dims[i] = d.hasDimValue() ? d.getDimValue() : -1;
            names[i] = d.hasDimParam() ? d.getDimParam() : null;
        }
        return new InputDecl(vi.getName(), type, dims, names);
    }

    private static ElemType elemType(int code, String what) {
        try {
            return ElemType.ofOnnx(code);
        } catch (IllegalArgumentException e) {
            throw new UnsupportedModelException(what + " has element type " + code + ", which is not supported");
        }
    }

    private static Map<String, Object> attributes(OnnxMl.NodeProto np, String name) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (OnnxMl.AttributeProto a : np.getAttributeList()) {
            String what = np.getOpType() + " node '" + name + "' attribute '" + a.getName() + "'";
            if (!a.getRefAttrName().isEmpty()) {
                throw new UnsupportedModelException(what + " refers to a function attribute; functions are not "
                        + "supported");
            }
            Object v = switch (a.getType()) {
                case FLOAT -> a.getF();
                case INT -> a.getI();
                case STRING -> a.getS().toString(StandardCharsets.UTF_8);
                case TENSOR -> tensor(a.getT(), what);
                case FLOATS -> {
                    float[] f = new float[a.getFloatsCount()];
                    for (int i = 0; i < f.length; i++) {
                        f[i] = a.getFloats(i);
                    }
                    yield f;
                }
                case INTS -> a.getIntsList().stream().mapToLong(Long::longValue).toArray();
                case STRINGS -> a.getStringsList().stream().map(s -> s.toString(StandardCharsets.UTF_8))
                        .toArray(String[]::new);
                case GRAPH, GRAPHS -> throw new UnsupportedModelException(what + " is a subgraph; control flow "
                        + "(If, Loop, Scan) is not supported");
                default -> throw new UnsupportedModelException(what + " has attribute type " + a.getType()
                        + ", which is not supported");
            };
            out.put(a.getName(), v);
        }
        return out;
    }

    private static ConstTensor constantValue(OnnxMl.NodeProto np, String name, Map<String, Object> attrs) {
        String what = "Constant node '" + name + "'";
        if (attrs.size() != 1) {
            throw new UnsupportedModelException(what + " must have exactly one value attribute, found "
                    + attrs.keySet());
        }
        Map.Entry<String, Object> e = attrs.entrySet().iterator().next();
        Object v = e.getValue();
        return switch (e.getKey()) {
            case "value" -> (ConstTensor) v;
            case "value_float" -> ConstTensor.ofFloats(new int[0], new float[] {(Float) v});
            case "value_floats" -> ConstTensor.ofFloats(new int[] {((float[]) v).length}, (float[]) v);
            case "value_int" -> ConstTensor.scalarLong((Long) v);
            case "value_ints" -> ConstTensor.vector((long[]) v);
            default -> throw new UnsupportedModelException(what + " uses attribute '" + e.getKey()
                    + "', which is not supported (value, value_float(s), value_int(s) are)");
        };
    }

    /** Decodes a TensorProto (raw little-endian data or the typed repeated fields). */
    public static ConstTensor tensor(OnnxMl.TensorProto t, String what) {
        if (t.getDataLocation() == OnnxMl.TensorProto.DataLocation.EXTERNAL || t.getExternalDataCount() > 0) {
            throw new UnsupportedModelException(what + " keeps its data in an external file; save the model with "
                    + "its weights inside (onnx.save(model, path, save_as_external_data=False))");
        }
        if (t.hasSegment()) {
            throw new UnsupportedModelException(what + " is a segmented tensor, which is not supported");
        }
        ElemType type = elemType(t.getDataType(), what);
        int[] shape = new int[t.getDimsCount()];
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            long d = t.getDims(i);
            if (d < 0 || d > Integer.MAX_VALUE) {
                throw new UnsupportedModelException(what + " has dimension " + d);
            }
            shape[i] = (int) d;
            n *= d;
        }
        if (n > Integer.MAX_VALUE) {
            throw new UnsupportedModelException(what + " has " + n + " elements, too many");
        }
        int count = (int) n;
        ByteString raw = t.getRawData();
        boolean isRaw = !raw.isEmpty() || count == 0;
        ByteBuffer rb = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        if (isRaw && count > 0 && raw.size() < (long) count * byteSize(type)) {
            throw new UnsupportedModelException(what + " has " + raw.size() + " bytes of data for " + count
                    + " elements of " + type);
        }
        switch (type) {
            case FLOAT -> {
                float[] f = new float[count];
                if (isRaw) {
                    rb.asFloatBuffer().get(f);
                } else {
                    requireCount(t.getFloatDataCount(), count, what);
                    for (int i = 0; i < count; i++) {
                        f[i] = t.getFloatData(i);
                    }
                }
                return ConstTensor.ofFloats(shape, f);
            }
            case DOUBLE -> {
                double[] d = new double[count];
                if (isRaw) {
                    rb.asDoubleBuffer().get(d);
                } else {
                    requireCount(t.getDoubleDataCount(), count, what);
                    for (int i = 0; i < count; i++) {
                        d[i] = t.getDoubleData(i);
                    }
                }
                return ConstTensor.ofDoubles(shape, d);
            }
            case FLOAT16, BFLOAT16 -> {
                float[] f = new float[count];
                for (int i = 0; i < count; i++) {
                    int bits = isRaw ? rb.getShort(2 * i) & 0xFFFF : t.getInt32Data(i) & 0xFFFF;
                    f[i] = type == ElemType.FLOAT16 ? halfToFloat(bits)
                            : Float.intBitsToFloat(bits << 16);
                }
                return ConstTensor.ofHalfs(type, shape, f);
            }
            case STRING -> throw new UnsupportedModelException(what + " is a string tensor; strings are not "
                    + "supported");
            default -> {
                long[] l = new long[count];
                for (int i = 0; i < count; i++) {
                    l[i] = isRaw ? rawInteger(rb, i, type) : typedInteger(t, i, type, what, count);
                }
                return ConstTensor.ofLongs(type, shape, l);
            }
        }
    }

    /** IEEE-754 binary16 to float (Float.float16ToFloat is Java 20+). */
    static float halfToFloat(int h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | mant << 13);
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | (exp + 112) << 23 | mant << 13);
    }

    private static void requireCount(int have, int need, String what) {
        if (have != need) {
            throw new UnsupportedModelException(what + " has " + have + " values for " + need + " elements");
        }
    }

    private static long rawInteger(ByteBuffer b, int i, ElemType type) {
        return switch (type) {
            case INT64 -> b.getLong(8 * i);
            case UINT64 -> b.getLong(8 * i); // values past 2^63 stay negative; never used as sizes
            case INT32 -> b.getInt(4 * i);
            case UINT32 -> b.getInt(4 * i) & 0xFFFFFFFFL;
            case INT16 -> b.getShort(2 * i);
            case UINT16 -> b.getShort(2 * i) & 0xFFFF;
            case INT8 -> b.get(i);
            case UINT8, BOOL -> b.get(i) & 0xFF;
            default -> throw new IllegalStateException(type.toString());
        };
    }

    private static long typedInteger(OnnxMl.TensorProto t, int i, ElemType type, String what, int count) {
        return switch (type) {
            case INT64 -> {
                requireCount(t.getInt64DataCount(), count, what);
                yield t.getInt64Data(i);
            }
            case UINT64, UINT32 -> {
                requireCount(t.getUint64DataCount(), count, what);
                yield t.getUint64Data(i);
            }
            default -> {
                requireCount(t.getInt32DataCount(), count, what);
                int v = t.getInt32Data(i);
                yield switch (type) {
                    case UINT8, BOOL -> v & 0xFF;
                    case UINT16 -> v & 0xFFFF;
                    case INT8 -> (byte) v;
                    case INT16 -> (short) v;
                    default -> v;
                };
            }
        };
    }

    private static int byteSize(ElemType type) {
        return switch (type) {
            case DOUBLE, INT64, UINT64 -> 8;
            case FLOAT, INT32, UINT32 -> 4;
            case FLOAT16, BFLOAT16, INT16, UINT16 -> 2;
            default -> 1;
        };
    }
}
