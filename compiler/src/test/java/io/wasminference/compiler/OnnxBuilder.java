package io.wasminference.compiler;

import ai.onnx.proto.OnnxMl;

/** Test helper: builds small ONNX models in Java. */
final class OnnxBuilder {
    private final OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder().setName("g");
    private int opset = 13;

    OnnxBuilder opset(int v) {
        opset = v;
        return this;
    }

    /** A float input; a dim of -1 is left open (dim_param "N"). */
    OnnxBuilder input(String name, long... dims) {
        graph.addInput(valueInfo(name, OnnxMl.TensorProto.DataType.FLOAT_VALUE, dims));
        return this;
    }

    OnnxBuilder output(String name) {
        graph.addOutput(OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(OnnxMl.TypeProto.newBuilder()
                .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder().setElemType(1))));
        return this;
    }

    OnnxBuilder weight(String name, float[] values, long... dims) {
        OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(name).setDataType(1);
        for (long d : dims) {
            t.addDims(d);
        }
        for (float v : values) {
            t.addFloatData(v);
        }
        graph.addInitializer(t);
        return this;
    }

    OnnxBuilder ints(String name, long... values) {
        OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(name).setDataType(7)
                .addDims(values.length);
        for (long v : values) {
            t.addInt64Data(v);
        }
        graph.addInitializer(t);
        return this;
    }

    OnnxBuilder node(String op, String[] inputs, String[] outputs, OnnxMl.AttributeProto... attrs) {
        OnnxMl.NodeProto.Builder n = OnnxMl.NodeProto.newBuilder().setOpType(op).setName(op.toLowerCase() + "1");
        for (String i : inputs) {
            n.addInput(i);
        }
        for (String o : outputs) {
            n.addOutput(o);
        }
        for (OnnxMl.AttributeProto a : attrs) {
            n.addAttribute(a);
        }
        graph.addNode(n);
        return this;
    }

    static OnnxMl.AttributeProto attr(String name, long... ints) {
        OnnxMl.AttributeProto.Builder a = OnnxMl.AttributeProto.newBuilder().setName(name);
        if (ints.length == 1) {
            a.setType(OnnxMl.AttributeProto.AttributeType.INT).setI(ints[0]);
        } else {
            a.setType(OnnxMl.AttributeProto.AttributeType.INTS);
            for (long v : ints) {
                a.addInts(v);
            }
        }
        return a.build();
    }

    static OnnxMl.AttributeProto attr(String name, String value) {
        return OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.STRING)
                .setS(com.google.protobuf.ByteString.copyFromUtf8(value)).build();
    }

    byte[] build() {
        return OnnxMl.ModelProto.newBuilder().setIrVersion(8).setProducerName("test")
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setGraph(graph).build().toByteArray();
    }

    private static OnnxMl.ValueInfoProto valueInfo(String name, int type, long... dims) {
        OnnxMl.TensorShapeProto.Builder s = OnnxMl.TensorShapeProto.newBuilder();
        for (long d : dims) {
            s.addDim(d < 0 ? OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("N")
                    : OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(OnnxMl.TypeProto.newBuilder()
                .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder().setElemType(type).setShape(s))).build();
    }
}
