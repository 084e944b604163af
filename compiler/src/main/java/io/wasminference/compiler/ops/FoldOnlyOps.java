package io.wasminference.compiler.ops;

import io.wasminference.compiler.graph.ConstTensor;
import io.wasminference.compiler.graph.ElemType;
import io.wasminference.compiler.graph.Node;
import io.wasminference.compiler.graph.Shapes;
import io.wasminference.compiler.graph.Value;

import java.util.Map;

/**
 * Ops that exporters emit to compute shapes and masks from shapes (PyTorch's {@code expand} exports
 * Equal and Where on the target shape, {@code arange(x.size(1))} exports Range): supported when their inputs
 * are known at compile time, where they are folded; refused when they would read run-time data.
 */
final class FoldOnlyOps {
    private FoldOnlyOps() {}

    /** The op types of this family (never run-time ops). */
    static final java.util.Set<String> TYPES = java.util.Set.of("Equal", "Less", "Greater", "LessOrEqual",
            "GreaterOrEqual", "Not", "Where", "Range");

    static void register(Map<String, OpDef> ops) {
        for (String op : new String[] {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"}) {
            ops.put(op, new Compare());
        }
        ops.put("Not", new Not());
        ops.put("Where", new Where());
        ops.put("Range", new Range());
    }

    static void requireConstant(Node n) {
        for (Value v : n.inputs()) {
            if (v != null && !v.isConstant()) {
                throw n.unsupported(n.opType() + " is supported only on values known at compile time (shapes and "
                        + "constants, as exporters use it); here it reads '" + v.name() + "', computed from the data");
            }
        }
    }

    static final class Compare implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            requireConstant(n);
            try {
                n.output(0).set(ElemType.BOOL, Shapes.broadcast(n.input(0).shape(), n.input(1).shape()));
            } catch (IllegalArgumentException e) {
                throw n.unsupported(e.getMessage());
            }
        }

        @Override
        public boolean fold(Node n, int opset) {
            ConstTensor a = n.input(0).constant();
            ConstTensor b = n.input(1).constant();
            int[] out = n.output(0).shape();
            int[] ai = ConstMath.broadcastIndex(a.shape(), out);
            int[] bi = ConstMath.broadcastIndex(b.shape(), out);
            long[] r = new long[ai.length];
            for (int i = 0; i < r.length; i++) {
                double x = a.doubleAt(ai[i]);
                double y = b.doubleAt(bi[i]);
                boolean v = switch (n.opType()) {
                    case "Equal" -> a.isFloatType() ? x == y : a.longAt(ai[i]) == b.longAt(bi[i]);
                    case "Less" -> x < y;
                    case "Greater" -> x > y;
                    case "LessOrEqual" -> x <= y;
                    default -> x >= y;
                };
                r[i] = v ? 1 : 0;
            }
            n.output(0).setConstant(ConstTensor.ofLongs(ElemType.BOOL, out, r));
            return true;
        }
    }

    static final class Not implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            requireConstant(n);
            n.output(0).set(ElemType.BOOL, n.input(0).shape());
        }

        @Override
        public boolean fold(Node n, int opset) {
            long[] v = n.input(0).constant().longs();
            for (int i = 0; i < v.length; i++) {
                v[i] = v[i] == 0 ? 1 : 0;
            }
            n.output(0).setConstant(ConstTensor.ofLongs(ElemType.BOOL, n.output(0).shape(), v));
            return true;
        }
    }

    static final class Where implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            requireConstant(n);
            try {
                int[] s = Shapes.broadcast(Shapes.broadcast(n.input(0).shape(), n.input(1).shape()),
                        n.input(2).shape());
                n.output(0).set(n.input(1).type(), s);
            } catch (IllegalArgumentException e) {
                throw n.unsupported(e.getMessage());
            }
        }

        @Override
        public boolean fold(Node n, int opset) {
            ConstTensor c = n.input(0).constant();
            ConstTensor x = n.input(1).constant();
            ConstTensor y = n.input(2).constant();
            int[] out = n.output(0).shape();
            int[] ci = ConstMath.broadcastIndex(c.shape(), out);
            int[] xi = ConstMath.broadcastIndex(x.shape(), out);
            int[] yi = ConstMath.broadcastIndex(y.shape(), out);
            ConstTensor xs = ConstMath.take(x, out, xi);
            ConstTensor ys = ConstMath.take(y, out, yi);
            int n1 = ci.length;
            boolean[] useX = new boolean[n1]; // element i from x where the condition holds, else from y
            for (int i = 0; i < n1; i++) {
                useX[i] = c.longAt(ci[i]) != 0;
            }
            ConstTensor r;
            if (xs.type() == ElemType.FLOAT) {
                float[] f = new float[n1];
                for (int i = 0; i < n1; i++) {
                    f[i] = useX[i] ? xs.floatAt(i) : ys.floatAt(i);
                }
                r = ConstTensor.ofFloats(out, f);
            } else if (xs.type() == ElemType.DOUBLE) {
                double[] d = new double[n1];
                for (int i = 0; i < n1; i++) {
                    d[i] = useX[i] ? xs.doubleAt(i) : ys.doubleAt(i);
                }
                r = ConstTensor.ofDoubles(out, d);
            } else {
                long[] l = new long[n1];
                for (int i = 0; i < n1; i++) {
                    l[i] = useX[i] ? xs.longAt(i) : ys.longAt(i);
                }
                r = ConstTensor.ofLongs(xs.type(), out, l);
            }
            n.output(0).setConstant(r);
            return true;
        }
    }

    static final class Range implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            requireConstant(n);
            double start = n.input(0).constant().doubleAt(0);
            double limit = n.input(1).constant().doubleAt(0);
            double delta = n.input(2).constant().doubleAt(0);
            if (delta == 0) {
                throw n.unsupported("a delta of 0");
            }
            long count = Math.max(0, (long) Math.ceil((limit - start) / delta));
            if (count > 1L << 26) {
                throw n.unsupported("a range of " + count + " values");
            }
            n.output(0).set(n.input(0).type(), new int[] {(int) count});
        }

        @Override
        public boolean fold(Node n, int opset) {
            ConstTensor s = n.input(0).constant();
            int count = n.output(0).dim(0);
            if (s.isFloatType()) {
                float start = s.floatAt(0);
                float delta = n.input(2).constant().floatAt(0);
                float[] f = new float[count];
                for (int i = 0; i < count; i++) {
                    f[i] = start + i * delta;
                }
                n.output(0).setConstant(ConstTensor.ofFloats(new int[] {count}, f).cast(s.type()));
            } else {
                long start = s.longAt(0);
                long delta = n.input(2).constant().longAt(0);
                long[] l = new long[count];
                for (int i = 0; i < count; i++) {
                    l[i] = start + i * delta;
                }
                n.output(0).setConstant(ConstTensor.ofLongs(s.type(), new int[] {count}, l));
            }
            return true;
        }
    }
}
