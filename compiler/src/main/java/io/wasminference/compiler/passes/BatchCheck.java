package io.wasminference.compiler.passes;

import io.wasminference.compiler.graph.ConstTensor;
import io.wasminference.compiler.graph.Graph;
import io.wasminference.compiler.graph.Node;
import io.wasminference.compiler.graph.Shapes;
import io.wasminference.compiler.graph.Value;
import io.wasminference.compiler.ops.ReduceOps;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Decides whether the graph compiled at batch 1 may run several samples per pass (each op over a chunk of
 * samples) or must run once per sample. The same model inferred at batch 1 and at batch 2 must agree on every
 * op: each data tensor has the batch as dimension 0 and the same other dimensions, every constant an op reads
 * is the same (no folded Shape result that depends on the batch; a Reshape's target may, as in the common
 * {@code reshape(x, [N, -1])}, since a view is fully described by its shapes), and no op mixes samples (a softmax, concat,
 * slice, reduction or transpose over dimension 0). Running once per sample is always correct; it is only slower.
 */
public final class BatchCheck {
    private BatchCheck() {}

    /** Empty when the graph is batch-separable, else why not. */
    public static Optional<String> whyNotSeparable(Graph one, Graph two) {
        Map<String, Node> byOutput = new HashMap<>();
        for (Node n : two.nodes()) {
            byOutput.put(n.output(0).name(), n);
        }
        for (Node n : one.nodes()) {
            Node m = byOutput.get(n.output(0).name());
            if (m == null) {
                return Optional.of(n.describe() + " is computed at run time at batch 1 but folded at batch 2");
            }
            for (int i = 0; i < n.outputs().size(); i++) {
                int[] a = n.output(i).shape();
                int[] b = m.output(i).shape();
                if (a.length == 0 || a[0] != 1 || b.length != a.length || b[0] != 2
                        || !Arrays.equals(Arrays.copyOfRange(a, 1, a.length), Arrays.copyOfRange(b, 1, b.length))) {
                    return Optional.of(n.describe() + " has output shape " + Shapes.str(a) + " at batch 1 but "
                            + Shapes.str(b) + " at batch 2: its first dimension is not the batch");
                }
            }
            for (int i = 0; i < n.inputCount(); i++) {
                if (i == 1 && n.opType().equals("Reshape")) {
                    continue; // reshape(x, [N, -1]): a view, fully described by the shapes checked above
                }
                Value a = n.input(i);
                Value b = m.input(i);
                if (a != null && a.isConstant() && (b == null || !b.isConstant() || !same(a.constant(), b.constant()))) {
                    return Optional.of(n.describe() + " reads a constant ('" + a.name() + "') that depends on the "
                            + "batch size");
                }
            }
            Optional<String> mix = mixesSamples(n, one.opset());
            if (mix.isPresent()) {
                return mix;
            }
        }
        return Optional.empty();
    }

    private static boolean same(ConstTensor a, ConstTensor b) {
        return a.type() == b.type() && Arrays.equals(a.shape(), b.shape()) && Arrays.equals(a.doubles(), b.doubles());
    }

    /** Ops that compute across dimension 0. */
    static Optional<String> mixesSamples(Node n, int opset) {
        String op = n.opType();
        boolean mixes = switch (op) {
            case "Softmax", "LogSoftmax" -> axis(n, opset < 13 ? 1 : -1) == 0;
            case "Concat" -> axis(n, 1) == 0;
            case "Gather" -> axis(n, 0) == 0;
            case "Flatten" -> axis(n, 1) == 0;
            case "Transpose" -> {
                long[] p = n.attributes().get("perm") instanceof long[] l ? l : null;
                yield p == null || p[0] != 0;
            }
            case "Gemm" -> n.attributes().get("transA") instanceof Long t && t != 0;
            case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceSumSquare", "ReduceProd" -> {
                int[] axes = ReduceOps.reduceSpec(n, opset).axes();
                yield axes.length > 0 && axes[0] == 0;
            }
            case "Slice", "Pad" -> n.output(0).dim(0) != n.input(0).dim(0);
            case "MatMul" -> n.input(0).rank() < 2 || n.input(1).rank() == 1 && !n.input(1).isConstant();
            default -> false;
        };
        return mixes ? Optional.of(n.describe() + " computes across dimension 0, the batch") : Optional.empty();
    }

    private static long axis(Node n, long dflt) {
        Object a = n.attributes().get("axis");
        long v = a instanceof Long l ? l : dflt;
        int rank = n.input(0).rank();
        return v < 0 ? v + rank : v;
    }
}
