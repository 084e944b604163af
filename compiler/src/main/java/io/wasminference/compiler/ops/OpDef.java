package io.wasminference.compiler.ops;

import io.wasminference.compiler.graph.Node;

/**
 * What the compiler knows about one ONNX operator at graph level: how to check a node's attributes and inputs
 * and infer its outputs' types and shapes, and how to compute its outputs at compile time when every input is a
 * constant. How the op runs is the lowering's business ({@code io.wasminference.compiler.lower}).
 */
public interface OpDef {

    /**
     * Reads and checks the node's attributes and inputs, and sets its outputs' types and shapes (or constant
     * values, for ops whose result depends only on shapes, such as Shape).
     *
     * @throws io.wasminference.compiler.UnsupportedModelException naming the node and what is not supported
     */
    void infer(Node node, int opset);

    /** Sets the outputs' constant values when every input is constant; false if this op is not folded. */
    default boolean fold(Node node, int opset) {
        return false;
    }
}
