package io.wasminference.compiler.passes;

import io.wasminference.compiler.graph.ConstTensor;
import io.wasminference.compiler.graph.ElemType;
import io.wasminference.compiler.graph.Graph;
import io.wasminference.compiler.graph.Node;
import io.wasminference.compiler.graph.Value;
import io.wasminference.compiler.ops.Activation;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Graph rewrites after shape inference, each exact up to float rounding: Identity and Dropout removed,
 * BatchNormalization folded into the Conv or Gemm before it, hard-swish written out as Add/Clip/Mul/Div (or
 * HardSigmoid/Mul) recognised as one activation, activations fused into the op that produces their input, a
 * constant bias Add fused into MatMul/Gemm, and scalar normalisation after an input Cast fused into the Cast.
 * Fused information travels on the node as {@code wig.*} attributes that the lowering reads.
 */
public final class Fusion {
    /** A fused activation ({@link Activation}). */
    public static final String ACT = "wig.act";
    /** A fused bias ({@link ConstTensor} of N values) for MatMul. */
    public static final String BIAS = "wig.bias";
    /** Scalar multiplier and offset fused into a Cast (Float). */
    public static final String SCALE = "wig.scale";
    public static final String SHIFT = "wig.shift";
    /** Op type of an activation node the rewrites create. */
    public static final String ACTIVATION_OP = "wig.Activation";

    /** What the rewrites did, for the compile report. */
    public record Counts(int batchNormsFolded, int activationsFused, int other) {}

    private Fusion() {}

    public static Counts run(Graph g) {
        int other = removeIdentities(g);
        int bn = foldBatchNorms(g);
        other += fuseHardSwish(g);
        other += fuseBias(g);
        other += fuseInputAffine(g);
        int acts = fuseActivations(g);
        g.removeDeadNodes();
        return new Counts(bn, acts, other);
    }

    private static boolean isOutput(Graph g, Value v) {
        return g.outputs().contains(v);
    }

    /** The single node reading v, if v has exactly one reader and is not a graph output. */
    private static Optional<Node> soleConsumer(Graph g, Value v) {
        if (isOutput(g, v)) {
            return Optional.empty();
        }
        List<Node> c = g.consumers().get(v);
        return c != null && c.size() == 1 ? Optional.of(c.get(0)) : Optional.empty();
    }

    private static int removeIdentities(Graph g) {
        int n = 0;
        for (Node node : List.copyOf(g.nodes())) {
            boolean identity = node.opType().equals("Identity")
                    || node.opType().equals("Dropout") && node.outputs().size() == 1;
            if (identity && !isOutput(g, node.output(0))) {
                g.replaceAllUses(node.output(0), node.input(0));
                g.nodes().remove(node);
                n++;
            }
        }
        return n;
    }

    /** Per-channel scale s = gamma / sqrt(var + eps) and shift t = beta - mean * s of a BatchNormalization. */
    static float[][] batchNormAffine(Node bn) {
        float eps = bn.floatAttr("epsilon", 1e-5f);
        float[] gamma = bn.input(1).constant().floats();
        float[] beta = bn.input(2).constant().floats();
        float[] mean = bn.input(3).constant().floats();
        float[] var = bn.input(4).constant().floats();
        float[] s = new float[gamma.length];
        float[] t = new float[gamma.length];
        for (int i = 0; i < s.length; i++) {
            double sc = gamma[i] / Math.sqrt((double) var[i] + eps);
            s[i] = (float) sc;
            t[i] = (float) (beta[i] - mean[i] * sc);
        }
        return new float[][] {s, t};
    }

    private static int foldBatchNorms(Graph g) {
        int folded = 0;
        for (Node bn : List.copyOf(g.nodes())) {
            if (!bn.opType().equals("BatchNormalization") || bn.outputs().size() > 1 && usedBeyondFirst(g, bn)) {
                continue;
            }
            Node prev = bn.input(0).producer();
            if (prev == null || !g.nodes().contains(prev) || soleConsumer(g, bn.input(0)).orElse(null) != bn
                    || prev.hasAttribute(ACT)) {
                continue;
            }
            float[][] st = batchNormAffine(bn);
            if (prev.opType().equals("Conv")) {
                foldIntoConv(prev, st[0], st[1]);
            } else if (prev.opType().equals("Gemm") && prev.input(1).isConstant() && bn.input(0).rank() == 2) {
                foldIntoGemm(prev, st[0], st[1]);
            } else {
                continue;
            }
            g.replaceAllUses(bn.output(0), prev.output(0));
            g.nodes().remove(bn);
            folded++;
        }
        return folded;
    }

    private static boolean usedBeyondFirst(Graph g, Node n) {
        Map<Value, List<Node>> c = g.consumers();
        for (int i = 1; i < n.outputs().size(); i++) {
            if (c.containsKey(n.output(i)) || isOutput(g, n.output(i))) {
                return true;
            }
        }
        return false;
    }

    private static void foldIntoConv(Node conv, float[] s, float[] t) {
        ConstTensor w = conv.input(1).constant();
        float[] wv = w.floats();
        int m = w.shape()[0];
        int per = wv.length / m;
        for (int o = 0; o < m; o++) {
            for (int k = 0; k < per; k++) {
                wv[o * per + k] *= s[o];
            }
        }
        float[] b = conv.input(2) != null ? conv.input(2).constant().floats() : new float[m];
        float[] nb = new float[m];
        for (int o = 0; o < m; o++) {
            nb[o] = b[o] * s[o] + t[o];
        }
        conv.replaceInput(1, Value.ofConstant(conv.input(1).name() + ".bn", ConstTensor.ofFloats(w.shape(), wv)));
        Value bias = Value.ofConstant(conv.name() + ".bn_bias", ConstTensor.ofFloats(new int[] {m}, nb));
        if (conv.inputCount() > 2) {
            conv.replaceInput(2, bias);
        } else {
            List<Value> in = new java.util.ArrayList<>(conv.inputs());
            in.add(bias);
            conv.setInputs(in);
        }
    }

    private static void foldIntoGemm(Node gemm, float[] s, float[] t) {
        boolean tb = gemm.intAttr("transB", 0) != 0;
        float alpha = gemm.floatAttr("alpha", 1f);
        float beta = gemm.floatAttr("beta", 1f);
        ConstTensor b = gemm.input(1).constant();
        int[] bs = b.shape();
        int k = tb ? bs[1] : bs[0];
        int nOut = tb ? bs[0] : bs[1];
        float[] bv = b.floats();
        for (int i = 0; i < k; i++) {
            for (int o = 0; o < nOut; o++) {
                int idx = tb ? o * k + i : i * nOut + o;
                bv[idx] *= s[o] * alpha;
            }
        }
        float[] c = new float[nOut];
        if (gemm.input(2) != null) {
            ConstTensor ct = gemm.input(2).constant();
            if (ct == null || ct.size() != 1 && ct.size() != nOut) {
                throw gemm.unsupported("a BatchNormalization after a Gemm with a bias of shape other than [N]");
            }
            for (int o = 0; o < nOut; o++) {
                c[o] = ct.floatAt(ct.size() == 1 ? 0 : o) * beta;
            }
        }
        for (int o = 0; o < nOut; o++) {
            c[o] = c[o] * s[o] + t[o];
        }
        gemm.replaceInput(1, Value.ofConstant(gemm.input(1).name() + ".bn", ConstTensor.ofFloats(bs, bv)));
        gemm.setAttribute("alpha", 1f);
        gemm.setAttribute("beta", 1f);
        Value bias = Value.ofConstant(gemm.name() + ".bn_bias", ConstTensor.ofFloats(new int[] {nOut}, c));
        List<Value> in = new java.util.ArrayList<>(gemm.inputs());
        if (in.size() > 2) {
            in.set(2, bias);
        } else {
            in.add(bias);
        }
        gemm.setInputs(in);
    }

    private static Float scalarConst(Node n, Value x) {
        for (Value v : n.inputs()) {
            if (v != x && v != null && v.isConstant() && v.constant().size() == 1
                    && v.constant().type() == ElemType.FLOAT) {
                return v.constant().floatAt(0);
            }
        }
        return null;
    }

    /** x -> Add(x, 3) -> Clip(0, 6) -> Mul(x, .) -> Div(., 6), and HardSigmoid(1/6, 0.5)(x) -> Mul(x, .). */
    private static int fuseHardSwish(Graph g) {
        int fused = 0;
        for (Node mul : List.copyOf(g.nodes())) {
            if (!mul.opType().equals("Mul") || mul.inputCount() != 2 || !g.nodes().contains(mul)) {
                continue;
            }
            for (int side = 0; side < 2; side++) {
                Value x = mul.input(side);
                Value other = mul.input(1 - side);
                Node gate = other.producer();
                if (gate == null || !g.nodes().contains(gate) || soleConsumer(g, other).orElse(null) != mul) {
                    continue;
                }
                Activation act = null;
                Node end = mul;
                List<Node> remove = new java.util.ArrayList<>();
                if (gate.opType().equals("HardSigmoid") && gate.input(0) == x
                        && gate.floatAttr("alpha", 0.2f) == 1f / 6f && gate.floatAttr("beta", 0.5f) == 0.5f) {
                    act = Activation.of(Activation.Kind.HARD_SWISH_ONNX);
                    remove.add(gate);
                } else if (gate.opType().equals("Clip")) {
                    Activation clip = Activation.ofNode(gate, g.opset()).orElseThrow();
                    Node add = gate.input(0).producer();
                    boolean clip06 = clip.kind() == Activation.Kind.CLIP && clip.p0() == 0f && clip.p1() == 6f;
                    if (!clip06 || add == null || !add.opType().equals("Add") || !g.nodes().contains(add)
                            || soleConsumer(g, gate.input(0)).orElse(null) != gate
                            || !add.inputs().contains(x) || !Float.valueOf(3f).equals(scalarConst(add, x))) {
                        continue;
                    }
                    Optional<Node> div = soleConsumer(g, mul.output(0));
                    if (div.isEmpty() || !div.get().opType().equals("Div") || div.get().input(0) != mul.output(0)
                            || !Float.valueOf(6f).equals(scalarConst(div.get(), mul.output(0)))) {
                        continue;
                    }
                    act = Activation.of(Activation.Kind.HARD_SWISH);
                    remove.add(add);
                    remove.add(gate);
                    remove.add(mul);
                    end = div.get();
                }
                if (act == null) {
                    continue;
                }
                Node a = new Node(end.name() + ".hardswish", ACTIVATION_OP, "", List.of(x), List.of(end.output(0)),
                        Map.of(ACT, act));
                int at = g.nodes().indexOf(end);
                g.nodes().set(at, a);
                g.nodes().removeAll(remove);
                fused++;
                break;
            }
        }
        return fused;
    }

    /** MatMul(x, B) + c and Gemm without bias + c, with c constant of N values: the bias of the dense layer. */
    private static int fuseBias(Graph g) {
        int fused = 0;
        for (Node mm : List.copyOf(g.nodes())) {
            boolean gemmNoBias = mm.opType().equals("Gemm") && mm.input(2) == null;
            if (!(mm.opType().equals("MatMul") || gemmNoBias) || !mm.input(1).isConstant()
                    || mm.input(1).rank() != 2 || mm.hasAttribute(BIAS)) {
                continue;
            }
            Optional<Node> add = soleConsumer(g, mm.output(0));
            if (add.isEmpty() || !add.get().opType().equals("Add") || add.get().inputCount() != 2) {
                continue;
            }
            Value c = add.get().input(0) == mm.output(0) ? add.get().input(1) : add.get().input(0);
            int nOut = mm.output(0).dim(mm.output(0).rank() - 1);
            int[] cs = c.shape();
            boolean vector = c.isConstant() && c.size() == nOut && (cs.length == 1 || cs.length >= 1
                    && java.util.Arrays.stream(cs, 0, cs.length - 1).allMatch(d -> d == 1))
                    && cs.length <= mm.output(0).rank();
            if (!vector || !java.util.Arrays.equals(add.get().output(0).shape(), mm.output(0).shape())) {
                continue;
            }
            mm.setAttribute(BIAS, c.constant().reshape(new int[] {nOut}));
            g.replaceAllUses(add.get().output(0), mm.output(0));
            g.nodes().remove(add.get());
            fused++;
        }
        return fused;
    }

    private static boolean isView(Node n) {
        return switch (n.opType()) {
            case "Reshape", "Flatten", "Squeeze", "Unsqueeze" -> true;
            default -> false;
        };
    }

    /** Cast(x to float) -> views -> Mul/Div by a scalar -> Add/Sub a scalar: scale and shift done by the Cast. */
    private static int fuseInputAffine(Graph g) {
        int fused = 0;
        for (Node cast : List.copyOf(g.nodes())) {
            if (!cast.opType().equals("Cast") || cast.output(0).type() != ElemType.FLOAT
                    || !g.inputs().contains(cast.input(0))) {
                continue;
            }
            float scale = 1f;
            float shift = 0f;
            boolean haveShift = false;
            Value cur = cast.output(0);
            Value viewed = cur;
            Set<Node> chain = new HashSet<>();
            while (true) {
                Optional<Node> next = soleConsumer(g, viewed);
                if (next.isEmpty()) {
                    break;
                }
                Node n = next.get();
                if (isView(n) && n.input(0) == viewed && !haveShift && scale == 1f) {
                    viewed = n.output(0);
                    continue;
                }
                Float k = n.inputCount() == 2 && n.input(0) == viewed ? scalarConst(n, viewed) : null;
                if (k == null) {
                    break;
                }
                String op = n.opType();
                if ((op.equals("Mul") || op.equals("Div")) && !haveShift && scale == 1f) {
                    scale = op.equals("Mul") ? k : 1f / k;
                    if (op.equals("Div") && 1f / k * k != 1f) {
                        break; // a division that is not exactly a multiplication stays a division
                    }
                } else if ((op.equals("Add") || op.equals("Sub")) && !haveShift) {
                    shift = op.equals("Add") ? k : -k;
                    haveShift = true;
                } else {
                    break;
                }
                chain.add(n);
                g.replaceAllUses(n.output(0), viewed);
                g.nodes().remove(n);
            }
            if (!chain.isEmpty()) {
                cast.setAttribute(SCALE, scale);
                cast.setAttribute(SHIFT, shift);
                fused += chain.size();
            }
        }
        return fused;
    }

    private static final Set<String> FUSES_ACTIVATION = Set.of("Conv", "Gemm", "MatMul", "Add", "Sub", "Mul",
            "Div", ACTIVATION_OP);

    private static int fuseActivations(Graph g) {
        int fused = 0;
        for (Node act : List.copyOf(g.nodes())) {
            Optional<Activation> a = act.opType().equals(ACTIVATION_OP)
                    ? Optional.of((Activation) act.attributes().get(ACT)) : Activation.ofNode(act, g.opset());
            if (a.isEmpty() || !g.nodes().contains(act)) {
                continue;
            }
            Node prev = act.input(0).producer();
            if (prev == null || !g.nodes().contains(prev) || !FUSES_ACTIVATION.contains(prev.opType())
                    || prev.hasAttribute(ACT) && !(prev.opType().equals(ACTIVATION_OP)
                            && ((Activation) prev.attributes().get(ACT)).isNone())
                    || soleConsumer(g, act.input(0)).orElse(null) != act
                    || prev.opType().equals(ACTIVATION_OP)) {
                continue;
            }
            if (prev.opType().equals("MatMul") && !prev.input(1).isConstant()) {
                continue;
            }
            prev.setAttribute(ACT, a.get());
            g.replaceAllUses(act.output(0), prev.output(0));
            g.nodes().remove(act);
            fused++;
        }
        return fused;
    }
}
