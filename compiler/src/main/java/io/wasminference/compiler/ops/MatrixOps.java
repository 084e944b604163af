package io.wasminference.compiler.ops;

import io.wasminference.compiler.graph.ElemType;
import io.wasminference.compiler.graph.Node;
import io.wasminference.compiler.graph.Shapes;
import io.wasminference.compiler.graph.Value;

import java.util.Arrays;
import java.util.Map;

/** Gemm and MatMul. */
final class MatrixOps {
    private MatrixOps() {}

    static void register(Map<String, OpDef> ops) {
        ops.put("Gemm", new Gemm());
        ops.put("MatMul", new MatMul());
    }

    static void requireFloat(Node n) {
        for (Value v : n.inputs()) {
            if (v != null && v.type() != ElemType.FLOAT) {
                throw n.unsupported("input '" + v.name() + "' is " + v.type() + "; only float tensors are supported");
            }
        }
    }

    static final class Gemm implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            requireFloat(n);
            Value a = n.input(0);
            Value b = n.input(1);
            if (a.rank() != 2 || b.rank() != 2) {
                throw n.unsupported("A and B must be matrices, found " + Shapes.str(a.shape()) + " and "
                        + Shapes.str(b.shape()));
            }
            boolean ta = n.intAttr("transA", 0) != 0;
            boolean tb = n.intAttr("transB", 0) != 0;
            n.floatAttr("alpha", 1f);
            n.floatAttr("beta", 1f);
            n.intAttr("broadcast", 1);
            int m = ta ? a.dim(1) : a.dim(0);
            int k = ta ? a.dim(0) : a.dim(1);
            int kb = tb ? b.dim(1) : b.dim(0);
            int nn = tb ? b.dim(0) : b.dim(1);
            if (k != kb) {
                throw n.unsupported("A " + Shapes.str(a.shape()) + " and B " + Shapes.str(b.shape())
                        + " do not multiply (transA=" + (ta ? 1 : 0) + ", transB=" + (tb ? 1 : 0) + ")");
            }
            Value c = n.input(2);
            if (c != null) {
                try {
                    int[] r = Shapes.broadcast(c.shape(), new int[] {m, nn});
                    if (r[0] != m || r[1] != nn) {
                        throw new IllegalArgumentException("C " + Shapes.str(c.shape()) + " does not broadcast to ["
                                + m + ", " + nn + "]");
                    }
                } catch (IllegalArgumentException e) {
                    throw n.unsupported(e.getMessage());
                }
            }
            n.output(0).set(ElemType.FLOAT, new int[] {m, nn});
        }
    }

    static final class MatMul implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            requireFloat(n);
            n.output(0).set(ElemType.FLOAT, shape(n, n.input(0).shape(), n.input(1).shape()));
        }

        static int[] shape(Node n, int[] a, int[] b) {
            if (a.length == 0 || b.length == 0) {
                throw n.unsupported("MatMul of a scalar");
            }
            int[] a2 = a.length == 1 ? new int[] {1, a[0]} : a;
            int[] b2 = b.length == 1 ? new int[] {b[0], 1} : b;
            int k = a2[a2.length - 1];
            if (b2[b2.length - 2] != k) {
                throw n.unsupported("shapes " + Shapes.str(a) + " and " + Shapes.str(b) + " do not multiply");
            }
            int[] batch;
            try {
                batch = Shapes.broadcast(Arrays.copyOf(a2, a2.length - 2), Arrays.copyOf(b2, b2.length - 2));
            } catch (IllegalArgumentException e) {
                throw n.unsupported(e.getMessage());
            }
            int[] out = Shapes.concat(batch, new int[] {a2[a2.length - 2], b2[b2.length - 1]});
            if (b.length == 1) {
                out = Arrays.copyOf(out, out.length - 1);
            }
            if (a.length == 1) {
                int[] o = new int[out.length - 1];
                System.arraycopy(out, 0, o, 0, out.length - 2);
                if (out.length >= 1 && b.length != 1) {
                    o[o.length - 1] = out[out.length - 1];
                }
                out = o;
            }
            return out;
        }
    }
}
