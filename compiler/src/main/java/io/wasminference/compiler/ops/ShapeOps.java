package io.wasminference.compiler.ops;

import io.wasminference.compiler.graph.ConstTensor;
import io.wasminference.compiler.graph.ElemType;
import io.wasminference.compiler.graph.Node;
import io.wasminference.compiler.graph.Shapes;
import io.wasminference.compiler.graph.Value;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Ops that move or reinterpret data: Shape, Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Concat, Slice,
 * Gather, Pad, ConstantOfShape, Expand. Their shape arguments must be known at compile time (constants, or
 * folded from Shape chains).
 */
public final class ShapeOps {
    private ShapeOps() {}

    public static SliceSpec sliceSpec(Node n, int opset) {
        return Slice.spec(n, opset);
    }

    public static PadSpec padSpec(Node n, int opset) {
        return Pad.spec(n, opset);
    }

    public static int[] transposePerm(Node n) {
        return Transpose.perm(n, n.input(0).rank());
    }

    public static int concatAxis(Node n) {
        return Concat.axis(n);
    }

    /** Gather's constant indices, normalized to [0, dim). */
    public static long[] gatherIndices(Node n, int dim) {
        return Gather.indices(n, dim);
    }

    static void register(Map<String, OpDef> ops) {
        ops.put("Shape", new ShapeOp());
        ops.put("Reshape", new Reshape());
        ops.put("Flatten", new Flatten());
        ops.put("Squeeze", new Squeeze());
        ops.put("Unsqueeze", new Unsqueeze());
        ops.put("Transpose", new Transpose());
        ops.put("Concat", new Concat());
        ops.put("Slice", new Slice());
        ops.put("Gather", new Gather());
        ops.put("Pad", new Pad());
        ops.put("ConstantOfShape", new ConstantOfShape());
        ops.put("Expand", new Expand());
    }

    /** Integer values of a constant input (a shape, axes, pads...), or null if the input is omitted. */
    static long[] constInts(Node n, int i, String what) {
        Value v = n.input(i);
        if (v == null) {
            return null;
        }
        if (!v.isConstant()) {
            throw n.unsupported(what + " (input " + i + ", '" + v.name() + "') must be known at compile time (a "
                    + "constant, or computed from shapes only); here it depends on the input data"
                    + (n.opType().equals("Gather") ? ". A Gather with run-time indices (such as an embedding lookup) "
                            + "is not supported" : ""));
        }
        return v.constant().longs();
    }

    /** Folds a view op: the output is the input's values with the output's shape. */
    static boolean foldReshape(Node n) {
        n.output(0).setConstant(n.input(0).constant().reshape(n.output(0).shape()));
        return true;
    }

    static final class ShapeOp implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            int[] s = n.input(0).shape();
            int rank = s.length;
            long start = n.intAttr("start", 0);
            long end = n.intAttr("end", rank);
            int a = (int) Math.max(0, Math.min(rank, start < 0 ? start + rank : start));
            int b = (int) Math.max(0, Math.min(rank, end < 0 ? end + rank : end));
            long[] dims = new long[Math.max(0, b - a)];
            for (int i = a; i < b; i++) {
                dims[i - a] = s[i];
            }
            n.output(0).setConstant(ConstTensor.vector(dims));
        }
    }

    static final class Reshape implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            long[] target = opset < 5 ? n.intsAttr("shape") : constInts(n, 1, "the target shape");
            if (target == null) {
                throw n.unsupported("has no target shape");
            }
            boolean allowZero = n.intAttr("allowzero", 0) != 0;
            n.output(0).set(n.input(0).type(), resolve(n, n.input(0).shape(), target, allowZero));
        }

        static int[] resolve(Node n, int[] in, long[] target, boolean allowZero) {
            int[] out = new int[target.length];
            int infer = -1;
            long known = 1;
            for (int i = 0; i < target.length; i++) {
                long t = target[i];
                if (t == -1) {
                    if (infer >= 0) {
                        throw n.unsupported("target shape " + Arrays.toString(target) + " has more than one -1");
                    }
                    infer = i;
                    continue;
                }
                if (t == 0 && !allowZero) {
                    if (i >= in.length) {
                        throw n.unsupported("target shape " + Arrays.toString(target) + " copies dimension " + i
                                + " of a rank-" + in.length + " input");
                    }
                    t = in[i];
                }
                if (t < 0) {
                    throw n.unsupported("target shape " + Arrays.toString(target) + " has a negative dimension");
                }
                out[i] = (int) t;
                known *= t;
            }
            long size = Shapes.size(in);
            if (infer >= 0) {
                if (known == 0 || size % known != 0) {
                    throw n.unsupported("cannot reshape " + Shapes.str(in) + " to " + Arrays.toString(target));
                }
                out[infer] = (int) (size / known);
            } else if (known != size) {
                throw n.unsupported("cannot reshape " + Shapes.str(in) + " (" + size + " elements) to "
                        + Arrays.toString(out));
            }
            return out;
        }

        @Override
        public boolean fold(Node n, int opset) {
            return foldReshape(n);
        }
    }

    static final class Flatten implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            int[] s = n.input(0).shape();
            int axis = Shapes.axis(n.intAttr("axis", 1), s.length + 1, "axis");
            long outer = 1;
            for (int i = 0; i < axis; i++) {
                outer *= s[i];
            }
            long inner = Shapes.size(s) / Math.max(1, outer);
            if (outer == 0) {
                inner = 1;
                for (int i = axis; i < s.length; i++) {
                    inner *= s[i];
                }
            }
            n.output(0).set(n.input(0).type(), new int[] {(int) outer, (int) inner});
        }

        @Override
        public boolean fold(Node n, int opset) {
            return foldReshape(n);
        }
    }

    static final class Squeeze implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            int[] s = n.input(0).shape();
            long[] axes = opset < 13 ? n.intsAttr("axes") : constInts(n, 1, "axes");
            boolean[] drop = new boolean[s.length];
            if (axes == null) {
                for (int i = 0; i < s.length; i++) {
                    drop[i] = s[i] == 1;
                }
            } else {
                for (long a : axes) {
                    int ax = Shapes.axis(a, s.length, "axis");
                    if (s[ax] != 1) {
                        throw n.unsupported("cannot squeeze axis " + a + " of size " + s[ax] + " (shape "
                                + Shapes.str(s) + ")");
                    }
                    drop[ax] = true;
                }
            }
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i < s.length; i++) {
                if (!drop[i]) {
                    out.add(s[i]);
                }
            }
            n.output(0).set(n.input(0).type(), out.stream().mapToInt(Integer::intValue).toArray());
        }

        @Override
        public boolean fold(Node n, int opset) {
            return foldReshape(n);
        }
    }

    static final class Unsqueeze implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            int[] s = n.input(0).shape();
            long[] axes = opset < 13 ? n.intsAttr("axes") : constInts(n, 1, "axes");
            if (axes == null) {
                throw n.unsupported("has no axes");
            }
            int rank = s.length + axes.length;
            boolean[] inserted = new boolean[rank];
            for (long a : axes) {
                int ax = Shapes.axis(a, rank, "axis");
                if (inserted[ax]) {
                    throw n.unsupported("axis " + a + " is given twice");
                }
                inserted[ax] = true;
            }
            int[] out = new int[rank];
            int k = 0;
            for (int i = 0; i < rank; i++) {
                out[i] = inserted[i] ? 1 : s[k++];
            }
            n.output(0).set(n.input(0).type(), out);
        }

        @Override
        public boolean fold(Node n, int opset) {
            return foldReshape(n);
        }
    }

    static final class Transpose implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            int[] s = n.input(0).shape();
            int[] perm = perm(n, s.length);
            int[] out = new int[s.length];
            for (int i = 0; i < s.length; i++) {
                out[i] = s[perm[i]];
            }
            n.output(0).set(n.input(0).type(), out);
        }

        static int[] perm(Node n, int rank) {
            long[] p = n.intsAttr("perm");
            int[] perm = new int[rank];
            if (p == null) {
                for (int i = 0; i < rank; i++) {
                    perm[i] = rank - 1 - i;
                }
                return perm;
            }
            if (p.length != rank) {
                throw n.unsupported("perm " + Arrays.toString(p) + " does not match rank " + rank);
            }
            boolean[] seen = new boolean[rank];
            for (int i = 0; i < rank; i++) {
                int a = Shapes.axis(p[i], rank, "perm entry");
                if (seen[a]) {
                    throw n.unsupported("perm " + Arrays.toString(p) + " is not a permutation");
                }
                seen[a] = true;
                perm[i] = a;
            }
            return perm;
        }

        @Override
        public boolean fold(Node n, int opset) {
            ConstTensor c = n.input(0).constant();
            int[] perm = perm(n, c.rank());
            n.output(0).setConstant(ConstMath.take(c, n.output(0).shape(), ConstMath.transposeIndex(c.shape(), perm)));
            return true;
        }
    }

    static final class Concat implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            int[] first = n.input(0).shape();
            long a = n.intAttr("axis", Long.MIN_VALUE);
            if (a == Long.MIN_VALUE) {
                if (opset < 4) {
                    a = 1;
                } else {
                    throw n.unsupported("has no axis attribute");
                }
            }
            int axis = Shapes.axis(a, first.length, "axis");
            int[] out = first.clone();
            out[axis] = 0;
            for (Value v : n.inputs()) {
                int[] s = v.shape();
                if (s.length != first.length) {
                    throw n.unsupported("inputs have different ranks");
                }
                for (int i = 0; i < s.length; i++) {
                    if (i != axis && s[i] != first[i]) {
                        throw n.unsupported("input shapes " + Shapes.str(first) + " and " + Shapes.str(s)
                                + " differ outside axis " + axis);
                    }
                }
                out[axis] += s[axis];
            }
            n.output(0).set(n.input(0).type(), out);
        }

        static int axis(Node n) {
            return Shapes.axis(n.intAttr("axis", 1), n.input(0).rank(), "axis");
        }

        @Override
        public boolean fold(Node n, int opset) {
            List<ConstTensor> parts = new ArrayList<>();
            for (Value v : n.inputs()) {
                parts.add(v.constant());
            }
            n.output(0).setConstant(ConstMath.concat(parts, axis(n), n.output(0).shape()));
            return true;
        }
    }

    /** Slice, normalized: for each axis of the input, start, step and output length. */
    public record SliceSpec(int[] start, int[] step, int[] len) {}

    static final class Slice implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            n.output(0).set(n.input(0).type(), spec(n, opset).len());
        }

        static SliceSpec spec(Node n, int opset) {
            int[] s = n.input(0).shape();
            long[] starts;
            long[] ends;
            long[] axes;
            long[] steps = null;
            if (opset < 10) {
                starts = n.intsAttr("starts");
                ends = n.intsAttr("ends");
                axes = n.intsAttr("axes");
            } else {
                starts = constInts(n, 1, "starts");
                ends = constInts(n, 2, "ends");
                axes = constInts(n, 3, "axes");
                steps = constInts(n, 4, "steps");
            }
            if (starts == null || ends == null || starts.length != ends.length) {
                throw n.unsupported("needs starts and ends of the same length");
            }
            int[] start = new int[s.length];
            int[] step = new int[s.length];
            int[] len = s.clone();
            Arrays.fill(step, 1);
            boolean[] seen = new boolean[s.length];
            for (int k = 0; k < starts.length; k++) {
                int ax = axes == null ? k : Shapes.axis(axes[k], s.length, "axis");
                if (seen[ax]) {
                    throw n.unsupported("axis " + ax + " is sliced twice");
                }
                seen[ax] = true;
                long st = steps == null ? 1 : steps[k];
                if (st == 0) {
                    throw n.unsupported("a step of 0");
                }
                long dim = s[ax];
                long b = starts[k] < 0 ? starts[k] + dim : starts[k];
                long e = ends[k] < 0 ? ends[k] + dim : ends[k];
                long count;
                if (st > 0) {
                    b = Math.max(0, Math.min(dim, b));
                    e = Math.max(0, Math.min(dim, e));
                    count = e > b ? (e - b + st - 1) / st : 0;
                } else {
                    b = Math.max(-1, Math.min(dim - 1, b));
                    e = Math.max(-1, Math.min(dim - 1, e));
                    count = b > e ? (b - e + (-st) - 1) / (-st) : 0;
                }
                start[ax] = (int) b;
                step[ax] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, st));
                len[ax] = (int) count;
            }
            return new SliceSpec(start, step, len);
        }

        @Override
        public boolean fold(Node n, int opset) {
            ConstTensor c = n.input(0).constant();
            SliceSpec sp = spec(n, opset);
            long[] strides = Shapes.strides(c.shape());
            long start = 0;
            long[] st = new long[strides.length];
            for (int i = 0; i < strides.length; i++) {
                start += sp.start()[i] * strides[i];
                st[i] = sp.step()[i] * strides[i];
            }
            n.output(0).setConstant(ConstMath.take(c, sp.len(), ConstMath.strided(sp.len(), start, st)));
            return true;
        }
    }

    static final class Gather implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            int[] s = n.input(0).shape();
            int axis = Shapes.axis(n.intAttr("axis", 0), s.length, "axis");
            int[] idx = n.input(1).shape();
            if (n.input(1).type() != ElemType.INT64 && n.input(1).type() != ElemType.INT32) {
                throw n.unsupported("indices must be int32 or int64");
            }
            int[] out = new int[s.length - 1 + idx.length];
            int k = 0;
            for (int i = 0; i < axis; i++) {
                out[k++] = s[i];
            }
            for (int d : idx) {
                out[k++] = d;
            }
            for (int i = axis + 1; i < s.length; i++) {
                out[k++] = s[i];
            }
            n.output(0).set(n.input(0).type(), out);
        }

        /** Indices normalized to [0, dim) (checked). */
        static long[] indices(Node n, int dim) {
            long[] idx = constInts(n, 1, "indices");
            for (int i = 0; i < idx.length; i++) {
                long v = idx[i] < 0 ? idx[i] + dim : idx[i];
                if (v < 0 || v >= dim) {
                    throw n.unsupported("index " + idx[i] + " is out of range for a dimension of " + dim);
                }
                idx[i] = v;
            }
            return idx;
        }

        @Override
        public boolean fold(Node n, int opset) {
            ConstTensor c = n.input(0).constant();
            int[] s = c.shape();
            int axis = Shapes.axis(n.intAttr("axis", 0), s.length, "axis");
            long[] idx = indices(n, s[axis]);
            int outer = 1;
            for (int i = 0; i < axis; i++) {
                outer *= s[i];
            }
            int inner = 1;
            for (int i = axis + 1; i < s.length; i++) {
                inner *= s[i];
            }
            int[] src = new int[outer * idx.length * inner];
            int o = 0;
            for (int a = 0; a < outer; a++) {
                for (long id : idx) {
                    for (int b = 0; b < inner; b++) {
                        src[o++] = (int) ((a * (long) s[axis] + id) * inner + b);
                    }
                }
            }
            n.output(0).setConstant(ConstMath.take(c, n.output(0).shape(), src));
            return true;
        }
    }

    /** Pad, normalized: mode, constant value and pads before/after for each axis. */
    public record PadSpec(String mode, float value, int[] before, int[] after) {}

    static final class Pad implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            PadSpec p = spec(n, opset);
            int[] s = n.input(0).shape();
            int[] out = new int[s.length];
            for (int i = 0; i < s.length; i++) {
                out[i] = s[i] + p.before()[i] + p.after()[i];
                if (p.mode().equals("reflect") && (p.before()[i] > 0 || p.after()[i] > 0) && s[i] < 2) {
                    throw n.unsupported("reflect padding of axis " + i + " of size " + s[i]);
                }
            }
            n.output(0).set(n.input(0).type(), out);
        }

        static PadSpec spec(Node n, int opset) {
            int rank = n.input(0).rank();
            String mode = n.stringAttr("mode", "constant");
            if (!mode.equals("constant") && !mode.equals("reflect") && !mode.equals("edge")) {
                throw n.unsupported("mode '" + mode + "' is not supported (constant, reflect, edge are)");
            }
            long[] pads;
            float value = 0;
            long[] axes = null;
            if (opset < 11) {
                pads = n.intsAttr(opset < 2 ? "paddings" : "pads");
                value = n.floatAttr("value", 0f);
            } else {
                pads = constInts(n, 1, "pads");
                Value cv = n.input(2);
                if (cv != null) {
                    if (!cv.isConstant()) {
                        throw n.unsupported("the constant value must be known at compile time");
                    }
                    value = cv.constant().size() == 0 ? 0f : cv.constant().floatAt(0);
                }
                axes = constInts(n, 3, "axes");
            }
            if (pads == null) {
                throw n.unsupported("has no pads");
            }
            int[] axisList = new int[axes == null ? rank : axes.length];
            for (int i = 0; i < axisList.length; i++) {
                axisList[i] = axes == null ? i : Shapes.axis(axes[i], rank, "axis");
            }
            if (pads.length != 2 * axisList.length) {
                throw n.unsupported("pads " + Arrays.toString(pads) + " should have " + 2 * axisList.length
                        + " values");
            }
            int[] before = new int[rank];
            int[] after = new int[rank];
            for (int i = 0; i < axisList.length; i++) {
                long b = pads[i];
                long a = pads[i + axisList.length];
                if (b < 0 || a < 0) {
                    throw n.unsupported("negative pads (cropping) are not supported: " + Arrays.toString(pads));
                }
                before[axisList[i]] = (int) b;
                after[axisList[i]] = (int) a;
            }
            return new PadSpec(mode, value, before, after);
        }
    }

    static final class ConstantOfShape implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            long[] dims = constInts(n, 0, "shape");
            ConstTensor v = n.tensorAttr("value");
            if (v == null) {
                v = ConstTensor.ofFloats(new int[] {1}, new float[] {0f});
            }
            int[] shape = Arrays.stream(dims).mapToInt(d -> (int) d).toArray();
            int size = (int) Shapes.size(shape);
            n.output(0).setConstant(ConstMath.take(v, shape, new int[size]));
        }
    }

    static final class Expand implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            long[] dims = constInts(n, 1, "shape");
            int[] target = Arrays.stream(dims).mapToInt(d -> (int) d).toArray();
            try {
                n.output(0).set(n.input(0).type(), Shapes.broadcast(n.input(0).shape(), target));
            } catch (IllegalArgumentException e) {
                throw n.unsupported(e.getMessage());
            }
        }

        @Override
        public boolean fold(Node n, int opset) {
            ConstTensor c = n.input(0).constant();
            int[] out = n.output(0).shape();
            n.output(0).setConstant(ConstMath.take(c, out, ConstMath.broadcastIndex(c.shape(), out)));
            return true;
        }
    }
}
