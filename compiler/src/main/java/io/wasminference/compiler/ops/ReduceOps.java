package io.wasminference.compiler.ops;

import io.wasminference.compiler.graph.ElemType;
import io.wasminference.compiler.graph.Node;
import io.wasminference.compiler.graph.Shapes;

import java.util.Arrays;
import java.util.Map;

/** Softmax, LogSoftmax and the Reduce* family. */
public final class ReduceOps {
    private ReduceOps() {}

    /** How a Softmax or LogSoftmax node splits its input. */
    public static SoftmaxSpec softmaxSpec(Node n, int opset) {
        return Softmax.spec(n, opset);
    }

    /** Which axes a Reduce* node reduces. */
    public static ReduceSpec reduceSpec(Node n, int opset) {
        return Reduce.spec(n, opset);
    }

    static void register(Map<String, OpDef> ops) {
        ops.put("Softmax", new Softmax());
        ops.put("LogSoftmax", new Softmax());
        for (String op : new String[] {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceSumSquare",
            "ReduceProd"}) {
            ops.put(op, new Reduce());
        }
    }

    /** Softmax as (outer, len, inner) over the logical shape. */
    public record SoftmaxSpec(int outer, int len, int inner) {}

    static final class Softmax implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            if (n.input(0).type() != ElemType.FLOAT) {
                throw n.unsupported("only float tensors are supported");
            }
            spec(n, opset);
            n.output(0).set(ElemType.FLOAT, n.input(0).shape());
        }

        /** Before opset 13 the input is coerced to 2-D at axis (default 1); from 13 one axis (default -1). */
        public static SoftmaxSpec spec(Node n, int opset) {
            int[] s = n.input(0).shape();
            int rank = s.length;
            int axis = Shapes.axis(n.intAttr("axis", opset < 13 ? 1 : -1), Math.max(rank, 1), "axis");
            long outer = 1;
            for (int i = 0; i < axis; i++) {
                outer *= s[i];
            }
            if (opset < 13) {
                long len = 1;
                for (int i = axis; i < rank; i++) {
                    len *= s[i];
                }
                return new SoftmaxSpec((int) outer, (int) len, 1);
            }
            long inner = 1;
            for (int i = axis + 1; i < rank; i++) {
                inner *= s[i];
            }
            return new SoftmaxSpec((int) outer, rank == 0 ? 1 : s[axis], (int) inner);
        }
    }

    /** Which axes a Reduce* node reduces (sorted) and whether it keeps them. */
    public record ReduceSpec(int[] axes, boolean keepDims) {}

    static final class Reduce implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            if (n.input(0).type() != ElemType.FLOAT) {
                throw n.unsupported("only float tensors are supported");
            }
            ReduceSpec r = spec(n, opset);
            int[] s = n.input(0).shape();
            boolean[] red = new boolean[s.length];
            for (int a : r.axes()) {
                red[a] = true;
            }
            int[] out = new int[r.keepDims() ? s.length : s.length - r.axes().length];
            int k = 0;
            for (int i = 0; i < s.length; i++) {
                if (!red[i]) {
                    out[k++] = s[i];
                } else if (r.keepDims()) {
                    out[k++] = 1;
                }
            }
            n.output(0).set(ElemType.FLOAT, out);
        }

        public static ReduceSpec spec(Node n, int opset) {
            int rank = n.input(0).rank();
            boolean axesAsInput = opset >= 18 || (opset >= 13 && n.opType().equals("ReduceSum"));
            long[] axes = axesAsInput ? ShapeOps.constInts(n, 1, "axes") : n.intsAttr("axes");
            boolean keep = n.intAttr("keepdims", 1) != 0;
            boolean noop = n.intAttr("noop_with_empty_axes", 0) != 0;
            int[] ax;
            if (axes == null || axes.length == 0) {
                if (noop) {
                    ax = new int[0];
                } else {
                    ax = new int[rank];
                    for (int i = 0; i < rank; i++) {
                        ax[i] = i;
                    }
                }
            } else {
                ax = Arrays.stream(axes).mapToInt(a -> Shapes.axis(a, rank, "axis")).distinct().sorted().toArray();
            }
            return new ReduceSpec(ax, keep);
        }
    }
}
