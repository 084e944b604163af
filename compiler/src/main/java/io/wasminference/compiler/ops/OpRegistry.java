package io.wasminference.compiler.ops;

import io.wasminference.compiler.graph.Node;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/** The ONNX operators the compiler supports, by op type. */
public final class OpRegistry {
    private static final Map<String, OpDef> OPS;

    static {
        Map<String, OpDef> ops = new TreeMap<>();
        ElementwiseOps.register(ops);
        ShapeOps.register(ops);
        ConvOps.register(ops);
        MatrixOps.register(ops);
        ReduceOps.register(ops);
        FoldOnlyOps.register(ops);
        OPS = Collections.unmodifiableMap(ops);
    }

    private OpRegistry() {}

    /** The supported op types, sorted. */
    public static java.util.Set<String> supported() {
        return OPS.keySet();
    }

    /** The supported op types that only ever run at compile time, on constants (Equal, Where, Range...). */
    public static java.util.Set<String> foldOnly() {
        return FoldOnlyOps.TYPES;
    }

    /** The definition of the node's op, or a refusal naming the node and the supported ops. */
    public static OpDef lookup(Node n) {
        OpDef def = OPS.get(n.opType());
        if (def == null) {
            throw n.unsupported("operator '" + n.opType() + "' is not supported. Supported operators: "
                    + String.join(", ", OPS.keySet()) + " (and Constant)");
        }
        return def;
    }
}
