package io.wasminference.compiler.ops;

import io.wasminference.compiler.graph.ConstTensor;
import io.wasminference.compiler.graph.Node;
import io.wasminference.compiler.graph.Value;

import java.util.Optional;

/**
 * An elementwise function of one float the runtime applies alone or fused after a convolution, dense layer or
 * binary op. The codes are the graph runtime's {@code WIG_ACT_*} (wig_plan.h); {@link #apply} is the same
 * function in Java, used to fold constants.
 */
public record Activation(Kind kind, float p0, float p1) {

    /** The functions, with their runtime codes. */
    public enum Kind {
        NONE(0), RELU(1), CLIP(2), LEAKY_RELU(3), SIGMOID(4), HARD_SIGMOID(5), HARD_SWISH(6), TANH(7), EXP(8),
        SQRT(9), NEG(10), ABS(11), RECIPROCAL(12), LOG(13), HARD_SWISH_ONNX(14);

        public final int code;

        Kind(int code) {
            this.code = code;
        }
    }

    public static final Activation NONE = new Activation(Kind.NONE, 0, 0);

    public static Activation of(Kind kind) {
        return new Activation(kind, 0, 0);
    }

    public boolean isNone() {
        return kind == Kind.NONE;
    }

    /**
     * The activation a node computes, if it is one of the unary activation ops; reads its attributes (and for
     * Clip, its constant min/max inputs).
     */
    public static Optional<Activation> ofNode(Node n, int opset) {
        return Optional.ofNullable(switch (n.opType()) {
            case "Relu" -> of(Kind.RELU);
            case "Sigmoid" -> of(Kind.SIGMOID);
            case "Tanh" -> of(Kind.TANH);
            case "Exp" -> of(Kind.EXP);
            case "Sqrt" -> of(Kind.SQRT);
            case "Neg" -> of(Kind.NEG);
            case "Abs" -> of(Kind.ABS);
            case "Reciprocal" -> of(Kind.RECIPROCAL);
            case "Log" -> of(Kind.LOG);
            case "HardSwish" -> of(Kind.HARD_SWISH_ONNX);
            case "LeakyRelu" -> new Activation(Kind.LEAKY_RELU, n.floatAttr("alpha", 0.01f), 0);
            case "HardSigmoid" -> new Activation(Kind.HARD_SIGMOID, n.floatAttr("alpha", 0.2f),
                    n.floatAttr("beta", 0.5f));
            case "Clip" -> clip(n, opset);
            default -> null;
        });
    }

    private static Activation clip(Node n, int opset) {
        float lo = Float.NEGATIVE_INFINITY;
        float hi = Float.POSITIVE_INFINITY;
        if (opset < 11) {
            lo = n.floatAttr("min", lo);
            hi = n.floatAttr("max", hi);
        } else {
            lo = scalarInput(n, 1, lo);
            hi = scalarInput(n, 2, hi);
        }
        if (lo == 0 && hi == Float.POSITIVE_INFINITY) {
            return of(Kind.RELU);
        }
        return new Activation(Kind.CLIP, lo, hi);
    }

    private static float scalarInput(Node n, int i, float dflt) {
        Value v = n.input(i);
        if (v == null) {
            return dflt;
        }
        if (!v.isConstant()) {
            throw n.unsupported("input " + i + " ('" + v.name() + "') must be a constant; bounds computed at run "
                    + "time are not supported");
        }
        ConstTensor c = v.constant();
        if (c.size() != 1) {
            throw n.unsupported("input " + i + " must be a scalar, found shape " + java.util.Arrays.toString(c.shape()));
        }
        return c.floatAt(0);
    }

    /** The function in Java, as the runtime computes it in float32. */
    public double apply(double xd) {
        float x = (float) xd;
        return switch (kind) {
            case NONE -> x;
            case RELU -> x < 0 ? 0f : x;
            case CLIP -> Math.min(Math.max(x, p0), p1);
            case LEAKY_RELU -> x < 0 ? p0 * x : x;
            case SIGMOID -> (float) (1.0 / (1.0 + Math.exp(-x)));
            case HARD_SIGMOID -> Math.max(0f, Math.min(1f, p0 * x + p1));
            case HARD_SWISH -> (x * Math.min(Math.max(x + 3f, 0f), 6f)) / 6f;
            case HARD_SWISH_ONNX -> x * Math.max(0f, Math.min(1f, x * (1f / 6f) + 0.5f));
            case TANH -> (float) Math.tanh(x);
            case EXP -> (float) Math.exp(x);
            case SQRT -> (float) Math.sqrt(x);
            case NEG -> -x;
            case ABS -> Math.abs(x);
            case RECIPROCAL -> 1f / x;
            case LOG -> (float) Math.log(x);
        };
    }
}
