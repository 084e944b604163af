package io.wasminference.compiler.lower;

import io.wasminference.abi.DType;
import io.wasminference.compiler.UnsupportedModelException;
import io.wasminference.compiler.graph.ConstTensor;
import io.wasminference.compiler.graph.ElemType;
import io.wasminference.compiler.graph.Node;
import io.wasminference.compiler.graph.Shapes;
import io.wasminference.compiler.graph.Value;
import io.wasminference.compiler.ops.Activation;
import io.wasminference.compiler.ops.ConvGeometry;
import io.wasminference.compiler.ops.ConvOps;
import io.wasminference.compiler.ops.ReduceOps;
import io.wasminference.compiler.ops.ShapeOps;
import io.wasminference.compiler.passes.Fusion;

import java.util.Arrays;

/**
 * Translates each node into runtime ops (wig_plan.h): which kernel, which weight layout, which buffers. Every
 * tensor is float32; shapes are the logical ONNX shapes of one sample pass (dimension 0 is the images or rows of
 * a sample).
 */
final class NodeLowering {
    /** Per-index copies a data-path Gather may emit. */
    static final int MAX_GATHER_INDICES = 4096;

    private final Lowerer cx;

    NodeLowering(Lowerer cx) {
        this.cx = cx;
    }

    void lower(Node n) {
        switch (n.opType()) {
            case "Conv" -> conv(n);
            case "MaxPool", "AveragePool" -> pool(n);
            case "GlobalAveragePool", "GlobalMaxPool" -> globalPool(n);
            case "BatchNormalization" -> batchNorm(n);
            case "Gemm" -> gemm(n);
            case "MatMul" -> matmul(n);
            case "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum" -> binary(n);
            case "Relu", "Sigmoid", "Tanh", "Exp", "Sqrt", "Neg", "Abs", "Reciprocal", "Log", "HardSwish",
                 "LeakyRelu", "HardSigmoid", "Clip", Fusion.ACTIVATION_OP -> unary(n);
            case "Softmax", "LogSoftmax" -> softmax(n);
            case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceSumSquare", "ReduceProd" -> reduce(n);
            case "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout" -> view(n);
            case "Transpose" -> transpose(n);
            case "Concat" -> concat(n);
            case "Slice" -> slice(n);
            case "Gather" -> gather(n);
            case "Pad" -> pad(n);
            case "Expand" -> expand(n);
            case "Cast", "CastLike" -> cast(n);
            default -> throw n.unsupported("operator '" + n.opType() + "' has no run-time implementation");
        }
    }

    private static Activation act(Node n) {
        Object a = n.attributes().get(Fusion.ACT);
        return a instanceof Activation act ? act : Activation.NONE;
    }

    private static PlanOp act(PlanOp op, Activation a) {
        return op.i(a.kind().code).f(a.p0()).f(a.p1());
    }

    // ------------------------------------------------------------------ convolution, pooling

    private void conv(Node n) {
        Value x = n.input(0);
        LTensor in = cx.channelsLast(x);
        ConvGeometry g = ConvOps.convGeometry(n).as2d();
        ConstTensor w = n.input(1).constant();
        int[] ws = w.shape();
        int m = ws[0];
        int cinG = ws[1];
        int groups = (int) n.intAttr("group", 1);
        int c = x.dim(1);
        int kh = g.kernel()[0];
        int kw = g.kernel()[1];
        float[] wv = w.floats();
        float[] bias = n.input(2) != null ? n.input(2).constant().floats() : null;
        LTensor out = cx.define(n.output(0), LTensor.channelsLast(n.output(0).rank()));
        Activation a = act(n);
        int images = x.dim(0);
        int h = g.in()[0];
        int wd = g.in()[1];
        Buffer biasBuf = bias == null ? null : cx.weights(n.name() + ".bias", bias);
        boolean pointwise = kh == 1 && kw == 1 && g.strides()[0] == 1 && g.strides()[1] == 1 && !g.padded()
                && groups == 1;
        if (pointwise) {
            float[] t = new float[c * m]; // [C][M]
            for (int o = 0; o < m; o++) {
                for (int i = 0; i < c; i++) {
                    t[i * m + o] = wv[o * c + i];
                }
            }
            cx.emit(act(cx.op(Opcode.DENSE).t(in.buffer()).t(out.buffer()).addr(cx.weights(n.name() + ".w", t))
                    .addr(biasBuf).addr(cx.scratch(16L * 4 * c)).i((long) images * h * wd).i(c).i(m), a));
            return;
        }
        long padded = (long) (h + g.padBegin()[0] + g.padEnd()[0]) * (wd + g.padBegin()[1] + g.padEnd()[1]) * c;
        if (groups == c && m == c && cinG == 1) {
            float[] t = new float[kh * kw * c]; // [kh][kw][C]
            for (int o = 0; o < c; o++) {
                for (int k = 0; k < kh * kw; k++) {
                    t[k * c + o] = wv[o * kh * kw + k];
                }
            }
            PlanOp op = cx.op(Opcode.DWCONV).t(in.buffer()).t(out.buffer()).addr(cx.weights(n.name() + ".w", t))
                    .addr(biasBuf).addr(g.padded() ? cx.scratch(padded * 4) : null).i(images);
            geometry(op, g, h, wd, c, -1, -1);
            cx.emit(act(op, a));
            return;
        }
        int coutG = m / groups;
        float[] t = new float[wv.length]; // [group][kh][kw][cin_g][cout_g]
        for (int o = 0; o < m; o++) {
            int grp = o / coutG;
            int co = o % coutG;
            for (int i = 0; i < cinG; i++) {
                for (int k = 0; k < kh * kw; k++) {
                    t[(((grp * kh * kw) + k) * cinG + i) * coutG + co] = wv[(o * cinG + i) * kh * kw + k];
                }
            }
        }
        PlanOp op = cx.op(Opcode.CONV).t(in.buffer()).t(out.buffer()).addr(cx.weights(n.name() + ".w", t))
                .addr(biasBuf).addr(cx.scratch(padded * 4 * 5)).i(images);
        geometry(op, g, h, wd, c, m, groups);
        cx.emit(act(op, a));
    }

    /** H, W, C, OH, OW, [Cout], kh, kw, sy, sx, dy, dx, pt, pl, pb, pr, [groups] */
    private static void geometry(PlanOp op, ConvGeometry g, int h, int w, int c, int cout, int groups) {
        op.i(h).i(w).i(c).i(g.out()[0]).i(g.out()[1]);
        if (cout >= 0) {
            op.i(cout);
        }
        op.i(g.kernel()[0]).i(g.kernel()[1]).i(g.strides()[0]).i(g.strides()[1]).i(g.dilations()[0])
                .i(g.dilations()[1]).i(g.padBegin()[0]).i(g.padBegin()[1]).i(g.padEnd()[0]).i(g.padEnd()[1]);
        if (groups >= 0) {
            op.i(groups);
        }
    }

    private void pool(Node n) {
        Value x = n.input(0);
        if (n.outputs().size() > 1 && !n.output(1).name().endsWith(":unused1")) {
            throw n.unsupported("the Indices output of MaxPool is not supported");
        }
        ConvGeometry g = ConvOps.poolGeometry(n).as2d();
        boolean max = n.opType().equals("MaxPool");
        boolean includePad = !max && n.intAttr("count_include_pad", 0) != 0;
        LTensor in = cx.channelsLast(x);
        LTensor out = cx.define(n.output(0), LTensor.channelsLast(n.output(0).rank()));
        cx.emit(cx.op(Opcode.POOL).t(in.buffer()).t(out.buffer()).i(x.dim(0)).i(g.in()[0]).i(g.in()[1])
                .i(x.dim(1)).i(g.out()[0]).i(g.out()[1]).i(max ? 0 : 1).i(g.kernel()[0]).i(g.kernel()[1])
                .i(g.strides()[0]).i(g.strides()[1]).i(g.dilations()[0]).i(g.dilations()[1]).i(g.padBegin()[0])
                .i(g.padBegin()[1]).i(g.padEnd()[0]).i(g.padEnd()[1]).i(includePad ? 1 : 0));
    }

    private void globalPool(Node n) {
        Value x = n.input(0);
        LTensor in = cx.channelsLast(x);
        long hw = x.size() / ((long) x.dim(0) * x.dim(1));
        LTensor out = cx.define(n.output(0), LTensor.channelsLast(n.output(0).rank()));
        cx.emit(cx.op(Opcode.GLOBAL_POOL).t(in.buffer()).t(out.buffer()).i(x.dim(0)).i(hw).i(x.dim(1))
                .i(n.opType().equals("GlobalMaxPool") ? 0 : 1));
    }

    /** A BatchNormalization not folded into a Conv/Gemm: x * s + t per channel, as two broadcast ops. */
    private void batchNorm(Node n) {
        Value x = n.input(0);
        float eps = n.floatAttr("epsilon", 1e-5f);
        float[] gamma = n.input(1).constant().floats();
        float[] beta = n.input(2).constant().floats();
        float[] mean = n.input(3).constant().floats();
        float[] var = n.input(4).constant().floats();
        int c = gamma.length;
        float[] s = new float[c];
        float[] t = new float[c];
        for (int i = 0; i < c; i++) {
            double sc = gamma[i] / Math.sqrt((double) var[i] + eps);
            s[i] = (float) sc;
            t[i] = (float) (beta[i] - mean[i] * sc);
        }
        int[] chShape = new int[x.rank() - 1];
        Arrays.fill(chShape, 1);
        chShape[0] = c;
        LTensor in = cx.get(x);
        LTensor sT = new LTensor(cx.weights(n.name() + ".scale", s), chShape, LTensor.identity(chShape.length));
        LTensor tT = new LTensor(cx.weights(n.name() + ".shift", t), chShape, LTensor.identity(chShape.length));
        LTensor tmp = new LTensor(cx.arena(n.name() + ".scaled", in.size() * 4), in.shape(), in.perm());
        emitBinary(Opcode.Binary.MUL, in, sT, tmp, Activation.NONE);
        LTensor out = cx.define(n.output(0), in.perm());
        emitBinary(Opcode.Binary.ADD, tmp, tT, out, Activation.NONE);
    }

    // ------------------------------------------------------------------ dense layers, matmul

    private void gemm(Node n) {
        Value a = n.input(0);
        Value b = n.input(1);
        boolean ta = n.intAttr("transA", 0) != 0;
        boolean tb = n.intAttr("transB", 0) != 0;
        float alpha = n.floatAttr("alpha", 1f);
        float beta = n.floatAttr("beta", 1f);
        int m = n.output(0).dim(0);
        int nn = n.output(0).dim(1);
        int k = ta ? a.dim(0) : a.dim(1);
        LTensor at = cx.identity(a);
        if (ta) {
            LTensor t = new LTensor(cx.arena(a.name() + ".T", at.size() * 4), new int[] {m, k}, LTensor.identity(2));
            cx.emitCopy(at, 0, new long[] {1, m}, t, 0, t.logicalStrides(), new int[] {m, k});
            at = t;
        }
        Value c = n.input(2);
        float[] bias = null;
        boolean addC = false;
        if (c != null) {
            ConstTensor cc = c.isConstant() ? c.constant() : null;
            int[] cs = c.shape();
            boolean row = cc != null && (cc.size() == 1 || cc.size() == nn && cs[cs.length - 1] == nn);
            if (row) {
                bias = new float[nn];
                for (int o = 0; o < nn; o++) {
                    bias[o] = beta * cc.floatAt(cc.size() == 1 ? 0 : o);
                }
            } else {
                addC = true;
            }
        }
        Activation act = act(n);
        if (!b.isConstant()) {
            if (alpha != 1f || addC && beta != 1f) {
                throw n.unsupported("alpha/beta other than 1 with a run-time B is not supported");
            }
            LTensor bt = cx.identity(b);
            if (tb) {
                LTensor t = new LTensor(cx.arena(b.name() + ".T", bt.size() * 4), new int[] {k, nn},
                        LTensor.identity(2));
                cx.emitCopy(bt, 0, new long[] {1, k}, t, 0, t.logicalStrides(), new int[] {k, nn});
                bt = t;
            }
            LTensor out = cx.define(n.output(0), LTensor.identity(2));
            boolean post = addC || bias != null;
            cx.emit(act(cx.op(Opcode.MATMUL).t(at.buffer()).t(bt.buffer()).t(out.buffer()).i(1).i(m).i(k).i(nn)
                    .i(0).i(0), post ? Activation.NONE : act));
            addBias(n, out, bias, addC ? cx.get(c) : null, act);
            return;
        }
        ConstTensor bc = b.constant();
        float[] w = new float[k * nn]; // [K][N]
        for (int i = 0; i < k; i++) {
            for (int o = 0; o < nn; o++) {
                w[i * nn + o] = alpha * bc.floatAt(tb ? o * k + i : i * nn + o);
            }
        }
        Object fused = n.attributes().get(Fusion.BIAS);
        if (fused instanceof ConstTensor fb) {
            bias = fb.floats();
        }
        LTensor out = cx.define(n.output(0), LTensor.identity(2));
        cx.emit(act(cx.op(Opcode.DENSE).t(at.buffer()).t(out.buffer()).addr(cx.weights(n.name() + ".w", w))
                .addr(bias == null ? null : cx.weights(n.name() + ".bias", bias)).addr(cx.scratch(16L * 4 * k))
                .i(m).i(k).i(nn), addC ? Activation.NONE : act));
        if (addC) {
            addBias(n, out, null, cx.get(c), act);
        }
    }

    /** out = act(out + bias) after a matmul whose bias could not be fused (in place). */
    private void addBias(Node n, LTensor out, float[] bias, LTensor c, Activation act) {
        LTensor add = c;
        if (bias != null) {
            add = new LTensor(cx.weights(n.name() + ".bias", bias), new int[] {bias.length}, LTensor.identity(1));
        }
        if (add != null) {
            emitBinary(Opcode.Binary.ADD, out, add, out, act);
        }
    }

    private void matmul(Node n) {
        Value a = n.input(0);
        Value b = n.input(1);
        int[] as = a.shape();
        int[] bs = b.shape();
        int k = as[as.length - 1];
        Activation act = act(n);
        Object fusedBias = n.attributes().get(Fusion.BIAS);
        float[] bias = fusedBias instanceof ConstTensor fb ? fb.floats() : null;
        if (b.isConstant() && bs.length == 2 && !a.isConstant()) {
            LTensor at = cx.identity(a);
            int nn = bs[1];
            long rows = at.size() / k;
            LTensor out = cx.define(n.output(0), LTensor.identity(n.output(0).rank()));
            cx.emit(act(cx.op(Opcode.DENSE).t(at.buffer()).t(out.buffer()).addr(cx.constant(b))
                    .addr(bias == null ? null : cx.weights(n.name() + ".bias", bias)).addr(cx.scratch(16L * 4 * k))
                    .i(rows).i(k).i(nn), act));
            return;
        }
        int[] a2 = as.length == 1 ? new int[] {1, as[0]} : as;
        int[] b2 = bs.length == 1 ? new int[] {bs[0], 1} : bs;
        int m = a2[a2.length - 2];
        int nn = b2[b2.length - 1];
        int[] batchA = Arrays.copyOf(a2, a2.length - 2);
        int[] batchB = Arrays.copyOf(b2, b2.length - 2);
        int[] batch = Shapes.broadcast(batchA, batchB);
        long batches = Shapes.size(batch);
        long sa = batchStride(n, batchA, batch, (long) m * k);
        long sb = batchStride(n, batchB, batch, (long) k * nn);
        LTensor at = cx.identity(a);
        LTensor bt = cx.identity(b);
        LTensor out = cx.define(n.output(0), LTensor.identity(n.output(0).rank()));
        cx.emit(act(cx.op(Opcode.MATMUL).t(at.buffer()).t(bt.buffer()).t(out.buffer()).i(batches).i(m).i(k).i(nn)
                .i(sa).i(sb), bias == null ? act : Activation.NONE));
        if (bias != null) {
            addBias(n, out, bias, null, act);
        }
    }

    /** Elements between consecutive matrices of an operand whose batch dims are all equal to out's or all 1. */
    private static long batchStride(Node n, int[] own, int[] out, long matrix) {
        long size = Shapes.size(own);
        if (size == 1) {
            return 0;
        }
        int[] aligned = new int[out.length];
        Arrays.fill(aligned, 1);
        System.arraycopy(own, 0, aligned, out.length - own.length, own.length);
        if (!Arrays.equals(aligned, out)) {
            throw n.unsupported("MatMul broadcasting batch dimensions " + Shapes.str(own) + " to " + Shapes.str(out)
                    + " is only supported when they are equal or all 1");
        }
        return matrix;
    }

    // ------------------------------------------------------------------ elementwise

    private void unary(Node n) {
        Activation a = n.opType().equals(Fusion.ACTIVATION_OP) ? act(n)
                : Activation.ofNode(n, cx.opset).orElseThrow();
        LTensor in = cx.get(n.input(0));
        LTensor out = cx.define(n.output(0), in.perm());
        cx.emit(act(cx.op(Opcode.UNARY).t(in.buffer()).t(out.buffer()).i(in.size()), a));
    }

    private void binary(Node n) {
        Opcode.Binary op = Opcode.Binary.of(n.opType());
        if (n.inputCount() == 1) {
            view(n);
            return;
        }
        LTensor acc = cx.get(n.input(0));
        for (int i = 1; i < n.inputCount(); i++) {
            LTensor b = cx.get(n.input(i));
            boolean last = i == n.inputCount() - 1;
            int[] shape = Shapes.broadcast(acc.shape(), b.shape());
            int[] perm = outputLayout(acc, b, shape);
            LTensor out = last ? cx.define(n.output(0), perm)
                    : new LTensor(cx.arena(n.name() + "." + i, Shapes.size(shape) * 4), shape, perm);
            emitBinary(op, acc, b, out, last ? act(n) : Activation.NONE);
            acc = out;
        }
    }

    /** The output keeps the layout of the operand that has the output's full rank and is not a constant. */
    private static int[] outputLayout(LTensor a, LTensor b, int[] shape) {
        boolean aFull = a.rank() == shape.length && a.buffer().kind != Buffer.Kind.CONST;
        boolean bFull = b.rank() == shape.length && b.buffer().kind != Buffer.Kind.CONST;
        if (aFull) {
            return a.perm();
        }
        if (bFull) {
            return b.perm();
        }
        return LTensor.identity(shape.length);
    }

    void emitBinary(Opcode.Binary op, LTensor a, LTensor b, LTensor out, Activation act) {
        int rank = out.rank();
        long[] as = alignedStrides(a, out.shape());
        long[] bs = alignedStrides(b, out.shape());
        int[] dims = out.physicalDims();
        long[] ap = new long[rank];
        long[] bp = new long[rank];
        long[] os = Shapes.strides(dims);
        for (int i = 0; i < rank; i++) {
            ap[i] = as[out.perm()[i]];
            bp[i] = bs[out.perm()[i]];
        }
        StridedLoop loop = StridedLoop.collapse(dims, ap, bp, os);
        if (loop.rank() > Opcode.MAX_RANK) {
            throw new UnsupportedModelException(cx.origin() + ": broadcasting over more than " + Opcode.MAX_RANK
                    + " dimensions is not supported");
        }
        cx.emit(act(cx.op(Opcode.BINARY).t(a.buffer()).t(b.buffer()).t(out.buffer()).i(op.code).i(loop.rank()), act)
                .ints(loop.dims()).longs(loop.strides(0)).longs(loop.strides(1)));
    }

    /** For each axis of {@code out}, the element stride of {@code t} (right-aligned; 0 where it broadcasts). */
    private static long[] alignedStrides(LTensor t, int[] out) {
        long[] own = t.logicalStrides();
        long[] s = new long[out.length];
        int off = out.length - t.rank();
        for (int i = 0; i < t.rank(); i++) {
            s[off + i] = t.shape()[i] == 1 ? 0 : own[i];
        }
        return s;
    }

    private void cast(Node n) {
        Value x = n.input(0);
        Value y = n.output(0);
        ElemType to = y.type();
        Float scale = n.attributes().get(Fusion.SCALE) instanceof Float f ? f : null;
        Float shift = n.attributes().get(Fusion.SHIFT) instanceof Float f ? f : null;
        if (cx.rawInputs.containsKey(x)) {
            if (to != ElemType.FLOAT) {
                throw n.unsupported("casting the model input to " + to + " is not supported; cast it to float");
            }
            ModelInterface.Io io = cx.rawInputIo.get(x);
            float[] s = io.scale();
            float[] t = io.shift();
            if (scale != null && (s != null || t != null)) {
                throw n.unsupported("the input normalization given at compile time would combine with the "
                        + "model's own scaling of '" + x.name() + "'; give one of them");
            }
            if (scale != null) {
                s = new float[] {scale};
                t = new float[] {shift};
            }
            cx.alias(y, cx.emitConvert(cx.raw(x), cx.rawInputs.get(x), DType.F32, s, t, y));
            return;
        }
        if (scale != null) {
            throw n.unsupported("internal: normalization fused into a Cast that does not read a model input");
        }
        if (to == ElemType.FLOAT) {
            cx.alias(y, cx.get(x)); // float to float
            return;
        }
        DType abi = to.abiType().orElseThrow(() -> n.unsupported("casting to " + to + " is not supported"));
        cx.alias(y, cx.identity(x));
        cx.castOutputs.put(y, abi);
    }

    // ------------------------------------------------------------------ softmax, reductions

    private void softmax(Node n) {
        ReduceOps.SoftmaxSpec s = ReduceOps.softmaxSpec(n, cx.opset);
        LTensor in = cx.identity(n.input(0));
        LTensor out = cx.define(n.output(0), LTensor.identity(n.output(0).rank()));
        cx.emit(cx.op(Opcode.SOFTMAX).t(in.buffer()).t(out.buffer()).i(s.outer()).i(s.len()).i(s.inner())
                .i(n.opType().equals("LogSoftmax") ? 1 : 0));
    }

    private void reduce(Node n) {
        Value x = n.input(0);
        int[] axes = ReduceOps.reduceSpec(n, cx.opset).axes();
        int kind = switch (n.opType()) {
            case "ReduceSum" -> 0;
            case "ReduceMean" -> 1;
            case "ReduceMax" -> 2;
            case "ReduceMin" -> 3;
            case "ReduceSumSquare" -> 4;
            default -> 5;
        };
        LTensor cur = cx.identity(x);
        if (axes.length == 0) {
            LTensor out = cx.define(n.output(0), LTensor.identity(n.output(0).rank()));
            cx.emitCopy(cur, out);
            return;
        }
        int[] shape = x.shape();
        // one pass per run of adjacent axes, last run first so earlier axes keep their positions
        int end = axes.length;
        while (end > 0) {
            int start = end - 1;
            while (start > 0 && axes[start - 1] == axes[start] - 1) {
                start--;
            }
            int first = axes[start];
            int lastAxis = axes[end - 1];
            long outer = 1;
            long len = 1;
            long inner = 1;
            for (int i = 0; i < shape.length; i++) {
                if (i < first) {
                    outer *= shape[i];
                } else if (i <= lastAxis) {
                    len *= shape[i];
                } else {
                    inner *= shape[i];
                }
            }
            int[] next = shape.clone();
            for (int i = first; i <= lastAxis; i++) {
                next[i] = 1;
            }
            boolean finalPass = start == 0;
            LTensor out = finalPass ? cx.define(n.output(0), LTensor.identity(n.output(0).rank()))
                    : new LTensor(cx.arena(n.name() + ".partial" + end, Shapes.size(next) * 4), next,
                            LTensor.identity(next.length));
            int passKind = kind == 4 && end < axes.length ? 0 : kind; // sum of squares: square only once
            cx.emit(cx.op(Opcode.REDUCE).t(cur.buffer()).t(out.buffer()).i(outer).i(len).i(inner).i(passKind));
            cur = out;
            shape = next;
            end = start;
        }
    }

    // ------------------------------------------------------------------ data movement

    /** Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout: the same buffer in row-major order. */
    private void view(Node n) {
        LTensor in = cx.identity(n.input(0));
        Value y = n.output(0);
        cx.alias(y, new LTensor(in.buffer(), y.shape(), LTensor.identity(y.rank())));
    }

    /** A transpose is a change of layout, not a copy: the next op that needs another layout converts. */
    private void transpose(Node n) {
        int[] perm = ShapeOps.transposePerm(n);
        LTensor in = cx.get(n.input(0));
        int[] inverse = new int[perm.length];
        for (int i = 0; i < perm.length; i++) {
            inverse[perm[i]] = i;
        }
        int[] outPerm = new int[perm.length];
        for (int j = 0; j < perm.length; j++) {
            outPerm[j] = inverse[in.perm()[j]];
        }
        cx.alias(n.output(0), new LTensor(in.buffer(), n.output(0).shape(), outPerm));
    }

    private void concat(Node n) {
        int axis = ShapeOps.concatAxis(n);
        Value y = n.output(0);
        LTensor out = cx.define(y, LTensor.identity(y.rank()));
        long[] os = out.logicalStrides();
        long offset = 0;
        for (Value v : n.inputs()) {
            LTensor in = cx.get(v);
            cx.emitCopy(in, 0, in.logicalStrides(), out, offset * os[axis], os, in.shape());
            offset += v.dim(axis);
        }
    }

    private void slice(Node n) {
        ShapeOps.SliceSpec s = ShapeOps.sliceSpec(n, cx.opset);
        LTensor in = cx.get(n.input(0));
        long[] st = in.logicalStrides();
        long start = 0;
        long[] strides = new long[st.length];
        for (int i = 0; i < st.length; i++) {
            start += s.start()[i] * st[i];
            strides[i] = s.step()[i] * st[i];
        }
        Value y = n.output(0);
        LTensor out = cx.define(y, LTensor.identity(y.rank()));
        if (out.size() == 0) {
            return;
        }
        cx.emitCopy(in, start, strides, out, 0, out.logicalStrides(), s.len());
    }

    private void gather(Node n) {
        Value x = n.input(0);
        int axis = Shapes.axis(n.intAttr("axis", 0), x.rank(), "axis");
        long[] idx = ShapeOps.gatherIndices(n, x.dim(axis));
        if (idx.length > MAX_GATHER_INDICES) {
            throw n.unsupported("gathers " + idx.length + " indices at run time; at most " + MAX_GATHER_INDICES
                    + " are supported");
        }
        LTensor in = cx.get(x);
        Value y = n.output(0);
        LTensor out = cx.define(y, LTensor.identity(y.rank()));
        long[] is = in.logicalStrides();
        int[] xs = x.shape();
        int r = xs.length;
        int[] dims = new int[r - 1];
        long[] srcStrides = new long[r - 1];
        long[] dstStrides = new long[r - 1];
        long inner = 1;
        for (int i = axis + 1; i < r; i++) {
            inner *= xs[i];
        }
        int k = 0;
        for (int i = 0; i < r; i++) {
            if (i == axis) {
                continue;
            }
            dims[k] = xs[i];
            srcStrides[k] = is[i];
            long stride = 1;
            for (int t = i + 1; t < r; t++) {
                if (t != axis) {
                    stride *= xs[t];
                } else {
                    stride *= idx.length;
                }
            }
            dstStrides[k] = stride;
            k++;
        }
        for (int j = 0; j < idx.length; j++) {
            cx.emitCopy(in, idx[j] * is[axis], srcStrides, out, j * inner, dstStrides, dims);
        }
    }

    private void pad(Node n) {
        ShapeOps.PadSpec p = ShapeOps.padSpec(n, cx.opset);
        Value x = n.input(0);
        Value y = n.output(0);
        LTensor out = cx.define(y, LTensor.identity(y.rank()));
        if (p.mode().equals("constant")) {
            LTensor in = cx.get(x);
            cx.emit(cx.op(Opcode.FILL).t(out.buffer()).i(0).i(out.size()).f(p.value()));
            long[] os = out.logicalStrides();
            long offset = 0;
            for (int i = 0; i < os.length; i++) {
                offset += p.before()[i] * os[i];
            }
            if (in.size() > 0) {
                cx.emitCopy(in, 0, in.logicalStrides(), out, offset, os, in.shape());
            }
            return;
        }
        LTensor in = cx.identity(x);
        int r = x.rank();
        if (r > Opcode.MAX_RANK) {
            throw n.unsupported("padding more than " + Opcode.MAX_RANK + " dimensions is not supported");
        }
        cx.emit(cx.op(Opcode.PAD).t(in.buffer()).t(out.buffer()).i(r).i(p.mode().equals("reflect") ? 1 : 2)
                .ints(x.shape()).ints(y.shape()).ints(p.before()));
    }

    private void expand(Node n) {
        Value x = n.input(0);
        Value y = n.output(0);
        LTensor in = cx.get(x);
        LTensor out = cx.define(y, LTensor.identity(y.rank()));
        long[] own = in.logicalStrides();
        long[] s = new long[y.rank()];
        int off = y.rank() - x.rank();
        for (int i = 0; i < x.rank(); i++) {
            s[off + i] = x.dim(i) == 1 ? 0 : own[i];
        }
        cx.emitCopy(in, 0, s, out, 0, out.logicalStrides(), y.shape());
    }
}
