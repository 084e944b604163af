package io.wasminference.compiler.passes;

import io.wasminference.compiler.UnsupportedModelException;
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
 * What the batch dimension means for the compiled graph, from the same model inferred at batch 1 and at batch 2.
 * A value's batch axis is the one dimension that is 1 in the first and 2 in the second.
 *
 * <ul>
 *   <li>An op that computes across the batch axis of its input (a softmax, reduction, concatenation, gather or
 *   slice over it, or a matrix product contracting it) makes a record's answer depend on the other records of its
 *   batch: the model is refused, since a stream serves records one by one.</li>
 *   <li>Otherwise the graph compiled at batch 1 is run once per sample, which is always correct; and several
 *   samples per pass when every op agrees at both sizes: each data tensor has the batch in dimension 0 and the
 *   same other dimensions, and every constant an op reads is the same (no folded Shape result that depends on
 *   the batch; a Reshape's target may, as in the common {@code reshape(x, [N, -1])}, since a view is fully
 *   described by its shapes).</li>
 * </ul>
 */
public final class BatchCheck {
    /** No batch axis: the value does not depend on the batch size. */
    static final int NONE = -1;
    /** The batch is spread over several dimensions (or merged into one with others). */
    static final int MERGED = -2;

    private BatchCheck() {}

    /**
     * @return empty when the graph can run several samples per pass, else why not
     * @throws UnsupportedModelException when an op computes across the batch
     */
    public static Optional<String> whyNotSeparable(Graph one, Graph two) {
        Map<String, Node> byOutput = new HashMap<>();
        Map<String, Value> twoValues = new HashMap<>();
        for (Value v : two.inputs()) {
            twoValues.put(v.name(), v);
        }
        for (Node n : two.nodes()) {
            byOutput.put(n.output(0).name(), n);
            n.outputs().forEach(v -> twoValues.put(v.name(), v));
        }
        String reason = null;
        for (Node n : one.nodes()) {
            checkNotMixing(n, one.opset(), twoValues);
            if (reason != null) {
                continue;
            }
            Node m = byOutput.get(n.output(0).name());
            if (m == null) {
                reason = n.describe() + " is computed at run time at batch 1 but folded at batch 2";
                continue;
            }
            for (int i = 0; i < n.outputs().size() && reason == null; i++) {
                int[] a = n.output(i).shape();
                int[] b = m.output(i).shape();
                if (a.length == 0 || a[0] != 1 || b.length != a.length || b[0] != 2
                        || !Arrays.equals(Arrays.copyOfRange(a, 1, a.length), Arrays.copyOfRange(b, 1, b.length))) {
                    reason = n.describe() + " has output shape " + Shapes.str(a) + " at batch 1 but " + Shapes.str(b)
                            + " at batch 2: its first dimension is not the batch";
                }
            }
            for (int i = 0; i < n.inputCount() && reason == null; i++) {
                if (i == 1 && n.opType().equals("Reshape")) {
                    continue;
                }
                Value a = n.input(i);
                Value b = m.input(i);
                if (a != null && a.isConstant() && (b == null || !b.isConstant() || !same(a.constant(), b.constant()))) {
                    reason = n.describe() + " reads a constant ('" + a.name() + "') that depends on the batch size";
                }
            }
        }
        return Optional.ofNullable(reason);
    }

    private static boolean same(ConstTensor a, ConstTensor b) {
        return a.type() == b.type() && Arrays.equals(a.shape(), b.shape()) && Arrays.equals(a.doubles(), b.doubles());
    }

    /** The batch axis of a value: where its shape at batch 1 and at batch 2 differ. */
    static int batchAxis(Value atOne, Map<String, Value> atTwo) {
        if (atOne == null || atOne.isConstant()) {
            return NONE;
        }
        Value other = atTwo.get(atOne.name());
        if (other == null || other.isConstant() || other.rank() != atOne.rank()) {
            return MERGED;
        }
        int axis = NONE;
        for (int i = 0; i < atOne.rank(); i++) {
            if (atOne.dim(i) != other.dim(i)) {
                if (axis != NONE || atOne.dim(i) != 1 || other.dim(i) != 2) {
                    return MERGED;
                }
                axis = i;
            }
        }
        return axis;
    }

    /** Refuses an op that computes across the batch axis of one of its inputs. */
    static void checkNotMixing(Node n, int opset, Map<String, Value> atTwo) {
        Value x = n.input(0);
        int b = batchAxis(x, atTwo);
        int[] across = switch (n.opType()) {
            case "Softmax", "LogSoftmax" -> {
                int rank = x.rank();
                int axis = Shapes.axis(n.attributes().get("axis") instanceof Long l ? l : opset < 13 ? 1 : -1,
                        Math.max(rank, 1), "axis");
                yield opset < 13 ? range(axis, rank) : new int[] {axis};
            }
            case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceSumSquare", "ReduceProd" ->
                    ReduceOps.reduceSpec(n, opset).axes();
            case "Concat", "Gather" -> {
                long a = n.attributes().get("axis") instanceof Long l ? l : n.opType().equals("Concat") ? 1 : 0;
                yield new int[] {(int) (a < 0 ? a + x.rank() : a)};
            }
            case "Slice", "Pad" -> {
                int[] changed = new int[0];
                int[] in = x.shape();
                int[] out = n.output(0).shape();
                for (int i = 0; i < in.length && in.length == out.length; i++) {
                    if (in[i] != out[i]) {
                        changed = Arrays.copyOf(changed, changed.length + 1);
                        changed[changed.length - 1] = i;
                    }
                }
                yield changed;
            }
            case "MatMul", "Gemm" -> new int[0]; // checked per operand below
            default -> new int[0];
        };
        for (int a : across) {
            if (b >= 0 && a == b) {
                throw mixing(n, x, b);
            }
        }
        if (n.opType().equals("MatMul") || n.opType().equals("Gemm")) {
            boolean gemm = n.opType().equals("Gemm");
            boolean ta = gemm && n.attributes().get("transA") instanceof Long t && t != 0;
            boolean tb = gemm && n.attributes().get("transB") instanceof Long t && t != 0;
            Value y = n.input(1);
            int ka = x.rank() - (ta ? 2 : 1);
            int kb = y.rank() == 1 ? 0 : y.rank() - (tb ? 1 : 2);
            if (b >= 0 && b == ka) {
                throw mixing(n, x, b);
            }
            int by = batchAxis(y, atTwo);
            if (by >= 0 && by == kb) {
                throw mixing(n, y, by);
            }
        }
    }

    private static int[] range(int from, int to) {
        int[] r = new int[Math.max(0, to - from)];
        for (int i = 0; i < r.length; i++) {
            r[i] = from + i;
        }
        return r;
    }

    private static UnsupportedModelException mixing(Node n, Value v, int axis) {
        return n.unsupported("computes across dimension " + axis + " of '" + v.name() + "', which is the batch: "
                + "a record's answer would depend on the other records of its batch, and a stream serves records one "
                + "by one. If dimension 0 of the inputs is not a batch of independent samples, compile with "
                + "--no-batch-axis");
    }
}
