package io.wasminference.compiler.graph;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model's graph while the compiler works on it: nodes in topological order, the data inputs (not weights) and
 * the outputs, and the opset version of the default ONNX domain.
 */
public final class Graph {
    private final List<Node> nodes;
    private final List<Value> inputs;
    private final List<Value> outputs;
    private final int opset;

    public Graph(List<Node> nodes, List<Value> inputs, List<Value> outputs, int opset) {
        this.nodes = new ArrayList<>(nodes);
        this.inputs = new ArrayList<>(inputs);
        this.outputs = new ArrayList<>(outputs);
        this.opset = opset;
    }

    public List<Node> nodes() {
        return nodes;
    }

    public List<Value> inputs() {
        return inputs;
    }

    public List<Value> outputs() {
        return outputs;
    }

    public int opset() {
        return opset;
    }

    /** For each value, the nodes that read it (in node order). */
    public Map<Value, List<Node>> consumers() {
        Map<Value, List<Node>> out = new HashMap<>();
        for (Node n : nodes) {
            for (Value v : new LinkedHashSet<>(n.inputs())) {
                if (v != null) {
                    out.computeIfAbsent(v, k -> new ArrayList<>()).add(n);
                }
            }
        }
        return out;
    }

    /** Replaces every use of {@code old} (node inputs and graph outputs) by {@code replacement}. */
    public void replaceAllUses(Value old, Value replacement) {
        for (Node n : nodes) {
            n.replaceInput(old, replacement);
        }
        outputs.replaceAll(v -> v == old ? replacement : v);
    }

    /** Removes nodes whose outputs nothing uses, repeatedly; returns how many were removed. */
    public int removeDeadNodes() {
        int removed = 0;
        boolean changed = true;
        while (changed) {
            changed = false;
            Set<Value> used = new LinkedHashSet<>(outputs);
            for (Node n : nodes) {
                for (Value v : n.inputs()) {
                    if (v != null) {
                        used.add(v);
                    }
                }
            }
            for (int i = nodes.size() - 1; i >= 0; i--) {
                Node n = nodes.get(i);
                if (n.outputs().stream().noneMatch(used::contains)) {
                    nodes.remove(i);
                    removed++;
                    changed = true;
                }
            }
        }
        return removed;
    }
}
