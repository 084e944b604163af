package io.wasminference.compiler.ops;

import io.wasminference.compiler.graph.ElemType;
import io.wasminference.compiler.graph.Node;
import io.wasminference.compiler.graph.Shapes;
import io.wasminference.compiler.graph.Value;

import java.util.Arrays;
import java.util.Map;

/** Conv, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool and BatchNormalization, on NCHW / NCW. */
public final class ConvOps {
    private ConvOps() {}

    public static ConvGeometry poolGeometry(Node n) {
        return Pool.geometry(n);
    }

    static void register(Map<String, OpDef> ops) {
        ops.put("Conv", new Conv());
        ops.put("MaxPool", new Pool());
        ops.put("AveragePool", new Pool());
        ops.put("GlobalAveragePool", new GlobalPool());
        ops.put("GlobalMaxPool", new GlobalPool());
        ops.put("BatchNormalization", new BatchNorm());
    }

    static int[] spatial(Node n, Value x) {
        int[] s = x.shape();
        if (x.type() != ElemType.FLOAT) {
            throw n.unsupported("input '" + x.name() + "' is " + x.type() + "; only float tensors are supported");
        }
        if (s.length < 3) {
            throw n.unsupported("input '" + x.name() + "' has shape " + Shapes.str(s)
                    + "; expected N x C x (H x) W");
        }
        return Arrays.copyOfRange(s, 2, s.length);
    }

    /** The geometry of a Conv node (its weights must be constant). */
    public static ConvGeometry convGeometry(Node n) {
        Value x = n.input(0);
        Value w = n.input(1);
        int[] sp = spatial(n, x);
        int[] ws = w.shape();
        if (ws.length != sp.length + 2) {
            throw n.unsupported("weights of shape " + Shapes.str(ws) + " do not match the input's rank");
        }
        int[] kernel = Arrays.copyOfRange(ws, 2, ws.length);
        long[] ks = n.intsAttr("kernel_shape");
        if (ks != null && !Arrays.equals(Arrays.stream(ks).mapToInt(v -> (int) v).toArray(), kernel)) {
            throw n.unsupported("kernel_shape " + Arrays.toString(ks) + " does not match the weights "
                    + Shapes.str(ws));
        }
        return ConvGeometry.of(n, sp, kernel, false);
    }

    static final class Conv implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            Value x = n.input(0);
            Value w = n.input(1);
            if (!w.isConstant()) {
                throw n.unsupported("the weights ('" + w.name() + "') must be constants (initializers); weights "
                        + "computed at run time are not supported");
            }
            if (n.input(2) != null && !n.input(2).isConstant()) {
                throw n.unsupported("the bias must be a constant");
            }
            ConvGeometry g = convGeometry(n);
            long group = n.intAttr("group", 1);
            int c = x.dim(1);
            int m = w.dim(0);
            if (group < 1 || c % group != 0 || m % group != 0 || w.dim(1) * group != c) {
                throw n.unsupported("group " + group + " does not fit " + c + " input and " + m
                        + " output channels with weights " + Shapes.str(w.shape()));
            }
            if (n.input(2) != null && n.input(2).size() != m) {
                throw n.unsupported("bias has " + n.input(2).size() + " values for " + m + " output channels");
            }
            n.output(0).set(ElemType.FLOAT, Shapes.concat(new int[] {x.dim(0), m}, g.out()));
        }
    }

    /** MaxPool and AveragePool. */
    static final class Pool implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            Value x = n.input(0);
            n.output(0).set(ElemType.FLOAT, Shapes.concat(new int[] {x.dim(0), x.dim(1)}, geometry(n).out()));
            if (n.outputs().size() > 1) {
                n.output(1).set(ElemType.INT64, n.output(0).shape());
            }
        }

        public static ConvGeometry geometry(Node n) {
            int[] sp = spatial(n, n.input(0));
            long[] ks = n.intsAttr("kernel_shape");
            if (ks == null || ks.length != sp.length) {
                throw n.unsupported("kernel_shape " + (ks == null ? "is missing" : Arrays.toString(ks))
                        + " (the input has " + sp.length + " spatial dimensions)");
            }
            if (n.intAttr("storage_order", 0) != 0) {
                throw n.unsupported("storage_order 1 (column-major indices) is not supported");
            }
            boolean ceil = n.intAttr("ceil_mode", 0) != 0;
            n.intAttr("count_include_pad", 0);
            return ConvGeometry.of(n, sp, Arrays.stream(ks).mapToInt(v -> (int) v).toArray(), ceil);
        }
    }

    static final class GlobalPool implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            Value x = n.input(0);
            int[] sp = spatial(n, x);
            int[] out = x.shape();
            for (int i = 2; i < out.length; i++) {
                out[i] = 1;
            }
            if (sp.length > 2) {
                throw n.unsupported("only 1-D and 2-D inputs are supported");
            }
            n.output(0).set(ElemType.FLOAT, out);
        }
    }

    static final class BatchNorm implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            Value x = n.input(0);
            if (x.type() != ElemType.FLOAT) {
                throw n.unsupported("only float tensors are supported");
            }
            if (n.intAttr("training_mode", 0) != 0) {
                throw n.unsupported("training_mode=1 is not supported; export the model in eval mode");
            }
            if (n.intAttr("spatial", 1) != 1) {
                throw n.unsupported("spatial=0 (per-activation statistics, opset < 9) is not supported");
            }
            n.floatAttr("epsilon", 1e-5f);
            n.ignoreAttribute("momentum"); // training only
            n.ignoreAttribute("is_test");
            n.ignoreAttribute("consumed_inputs");
            if (x.rank() < 2) {
                throw n.unsupported("input must have a channel axis");
            }
            int c = x.dim(1);
            for (int i = 1; i <= 4; i++) {
                Value p = n.input(i);
                if (p == null || !p.isConstant() || p.size() != c) {
                    throw n.unsupported("scale, bias, mean and variance must be constants of " + c
                            + " values (input " + i + ")");
                }
            }
            n.output(0).set(ElemType.FLOAT, x.shape());
            for (int i = 1; i < n.outputs().size(); i++) {
                n.output(i).set(ElemType.FLOAT, new int[] {c});
            }
        }
    }
}
