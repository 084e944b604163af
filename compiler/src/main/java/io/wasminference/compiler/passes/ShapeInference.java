package io.wasminference.compiler.passes;

import io.wasminference.compiler.UnsupportedModelException;
import io.wasminference.compiler.graph.Graph;
import io.wasminference.compiler.graph.Node;
import io.wasminference.compiler.graph.Value;
import io.wasminference.compiler.ops.OpDef;
import io.wasminference.compiler.ops.OpRegistry;

import java.util.Iterator;
import java.util.Set;

/**
 * Infers every value's type and shape in node order and folds every node whose inputs are all constants into
 * constants (Shape/Gather/Concat/Reshape chains, weight transposes, Constant arithmetic). Folded nodes leave the
 * graph. Refuses unsupported ops and attributes no code read.
 */
public final class ShapeInference {
    /** Folding stops at this many elements per result, so a hostile model cannot blow up the compiler's heap. */
    static final long MAX_FOLDED_ELEMENTS = 1L << 26;

    private ShapeInference() {}

    /** @return the number of nodes folded away */
    public static int run(Graph g) {
        int folded = 0;
        Iterator<Node> it = g.nodes().iterator();
        while (it.hasNext()) {
            Node n = it.next();
            for (int i = 0; i < n.inputCount(); i++) {
                Value v = n.input(i);
                if (v != null && v.shape() == null) {
                    throw new UnsupportedModelException(n.describe() + ": the shape of input '" + v.name()
                            + "' is unknown");
                }
            }
            OpDef def = OpRegistry.lookup(n);
            try {
                def.infer(n, g.opset());
            } catch (IllegalArgumentException e) {
                throw n.unsupported(e.getMessage());
            }
            Set<String> unread = n.unreadAttributes();
            if (!unread.isEmpty()) {
                throw n.unsupported("attribute(s) " + unread + " are not supported for " + n.opType()
                        + " (so the model cannot be compiled without risking a wrong answer)");
            }
            for (Value out : n.outputs()) {
                if (out.shape() != null && out.size() > Integer.MAX_VALUE / 8) {
                    throw n.unsupported("output '" + out.name() + "' would have " + out.size() + " elements");
                }
            }
            if (n.outputs().stream().allMatch(Value::isConstant)) {
                it.remove(); // e.g. Shape: its result is known from the shapes alone
                folded++;
                continue;
            }
            boolean allConst = n.inputs().stream().allMatch(v -> v == null || v.isConstant());
            boolean small = n.outputs().stream().allMatch(v -> v.shape() == null || v.size() <= MAX_FOLDED_ELEMENTS);
            if (allConst && n.inputCount() > 0 && small && def.fold(n, g.opset())) {
                it.remove();
                folded++;
            }
        }
        for (Value v : g.outputs()) {
            if (v.shape() == null) {
                throw new UnsupportedModelException("the shape of output '" + v.name() + "' is unknown");
            }
        }
        return folded;
    }
}
