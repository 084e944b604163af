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
            if (n.input(0).type() != ElemType.FLOAT && !n.input(0).isConstant()) {
                throw n.unsupported("only float tensors are supported at run time (integer reductions are folded "
                        + "when their input is known at compile time)");
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
            n.output(0).set(n.input(0).type(), out);
        }

        @Override
        public boolean fold(Node n, int opset) {
            io.wasminference.compiler.graph.ConstTensor c = n.input(0).constant();
            int[] s = c.shape();
            ReduceSpec r = spec(n, opset);
            boolean[] red = new boolean[s.length];
            for (int a : r.axes()) {
                red[a] = true;
            }
            int[] kept = s.clone();
            for (int a : r.axes()) {
                kept[a] = 1;
            }
            int outSize = (int) io.wasminference.compiler.graph.Shapes.size(kept);
            long[] outStrides = io.wasminference.compiler.graph.Shapes.strides(kept);
            double[] acc = new double[outSize];
            long[] lacc = new long[outSize];
            int[] count = new int[outSize];
            boolean integer = !c.isFloatType();
            String op = n.opType();
            java.util.Arrays.fill(acc, op.equals("ReduceProd") ? 1 : op.equals("ReduceMax") ? Double.NEGATIVE_INFINITY
                    : op.equals("ReduceMin") ? Double.POSITIVE_INFINITY : 0);
            java.util.Arrays.fill(lacc, op.equals("ReduceProd") ? 1 : op.equals("ReduceMax") ? Long.MIN_VALUE
                    : op.equals("ReduceMin") ? Long.MAX_VALUE : 0);
            int[] pos = new int[s.length];
            for (int e = 0; e < c.size(); e++) {
                long o = 0;
                for (int d = 0; d < s.length; d++) {
                    o += (red[d] ? 0 : pos[d]) * outStrides[d];
                }
                int oi = (int) o;
                count[oi]++;
                if (integer) {
                    long v = c.longAt(e);
                    lacc[oi] = switch (op) {
                        case "ReduceProd" -> lacc[oi] * v;
                        case "ReduceMax" -> Math.max(lacc[oi], v);
                        case "ReduceMin" -> Math.min(lacc[oi], v);
                        case "ReduceSumSquare" -> lacc[oi] + v * v;
                        default -> lacc[oi] + v;
                    };
                } else {
                    float v = c.floatAt(e);
                    float a = (float) acc[oi];
                    acc[oi] = switch (op) {
                        case "ReduceProd" -> a * v;
                        case "ReduceMax" -> Math.max(a, v);
                        case "ReduceMin" -> Math.min(a, v);
                        case "ReduceSumSquare" -> a + v * v;
                        default -> a + v;
                    };
                }
                for (int d = s.length - 1; d >= 0; d--) {
                    if (++pos[d] < s[d]) {
                        break;
                    }
                    pos[d] = 0;
                }
            }
            int[] outShape = n.output(0).shape();
            if (integer) {
                if (op.equals("ReduceMean")) {
                    for (int i = 0; i < outSize; i++) {
                        lacc[i] = count[i] == 0 ? 0 : lacc[i] / count[i];
                    }
                }
                n.output(0).setConstant(io.wasminference.compiler.graph.ConstTensor.ofLongs(c.type(), outShape, lacc));
            } else {
                float[] f = new float[outSize];
                for (int i = 0; i < outSize; i++) {
                    f[i] = op.equals("ReduceMean") ? (float) acc[i] / count[i] : (float) acc[i];
                }
                n.output(0).setConstant(io.wasminference.compiler.graph.ConstTensor.ofFloats(outShape, f));
            }
            return true;
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
