package io.wasminference.compiler.ops;

import io.wasminference.compiler.graph.ConstTensor;
import io.wasminference.compiler.graph.ElemType;
import io.wasminference.compiler.graph.Node;
import io.wasminference.compiler.graph.Shapes;
import io.wasminference.compiler.graph.Value;

import java.util.Map;
import java.util.function.DoubleBinaryOperator;
import java.util.function.LongBinaryOperator;

/** Unary activations, broadcasting binary arithmetic, Cast, Identity and Dropout. */
final class ElementwiseOps {
    private ElementwiseOps() {}

    static void register(Map<String, OpDef> ops) {
        OpDef unary = new Unary();
        for (String op : new String[] {"Relu", "Sigmoid", "Tanh", "Exp", "Sqrt", "Neg", "Abs", "Reciprocal", "Log",
            "HardSwish", "LeakyRelu", "HardSigmoid", "Clip"}) {
            ops.put(op, unary);
        }
        OpDef binary = new Binary();
        for (String op : new String[] {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum"}) {
            ops.put(op, binary);
        }
        ops.put("Cast", new Cast());
        ops.put("CastLike", new Cast());
        ops.put("Identity", new Identity());
        ops.put("Dropout", new Identity());
    }

    static final class Unary implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            Value x = n.input(0);
            Activation.ofNode(n, opset); // reads and checks the attributes
            if (x.type() != ElemType.FLOAT && x.type() != ElemType.DOUBLE) {
                throw n.unsupported("input '" + x.name() + "' is " + x.type() + "; " + n.opType()
                        + " is supported on float tensors only");
            }
            n.output(0).set(x.type(), x.shape());
        }

        @Override
        public boolean fold(Node n, int opset) {
            Activation act = Activation.ofNode(n, opset).orElseThrow();
            ConstTensor r = ConstMath.unary(n.input(0).constant(), act::apply);
            if (r == null) {
                return false;
            }
            n.output(0).setConstant(r);
            return true;
        }
    }

    /** Add, Sub, Mul, Div, Pow and the variadic Max, Min, Sum (folded pairwise). */
    static final class Binary implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            if (n.hasAttribute("axis")) {
                throw n.unsupported("legacy broadcasting with an 'axis' attribute (opset < 7) is not supported; "
                        + "re-export the model with opset 7 or later");
            }
            n.intAttr("broadcast", 1); // opset < 7; NumPy broadcasting covers the trailing-aligned case
            n.ignoreAttribute("consumed_inputs");
            if (n.inputCount() < 1 || (n.inputCount() < 2 && !isVariadic(n))) {
                throw n.unsupported("needs two inputs");
            }
            int[] shape = n.input(0).shape();
            ElemType type = n.input(0).type();
            for (int i = 1; i < n.inputCount(); i++) {
                Value v = n.input(i);
                if (v.type() != type && !(n.opType().equals("Pow"))) {
                    throw n.unsupported("inputs have different types (" + type + ", " + v.type() + ")");
                }
                try {
                    shape = Shapes.broadcast(shape, v.shape());
                } catch (IllegalArgumentException e) {
                    throw n.unsupported(e.getMessage());
                }
            }
            n.output(0).set(type, shape);
        }

        private static boolean isVariadic(Node n) {
            return n.opType().equals("Max") || n.opType().equals("Min") || n.opType().equals("Sum");
        }

        @Override
        public boolean fold(Node n, int opset) {
            ConstTensor acc = n.input(0).constant();
            for (int i = 1; i < n.inputCount(); i++) {
                acc = ConstMath.binary(acc, n.input(i).constant(), floatOp(n.opType()), longOp(n.opType()));
                if (acc == null) {
                    return false;
                }
            }
            n.output(0).setConstant(acc);
            return true;
        }

        static DoubleBinaryOperator floatOp(String op) {
            return switch (op) {
                case "Add", "Sum" -> (a, b) -> (float) a + (float) b;
                case "Sub" -> (a, b) -> (float) a - (float) b;
                case "Mul" -> (a, b) -> (float) a * (float) b;
                case "Div" -> (a, b) -> (float) a / (float) b;
                case "Pow" -> Math::pow;
                case "Max" -> (a, b) -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b);
                case "Min" -> (a, b) -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.min(a, b);
                default -> throw new IllegalArgumentException(op);
            };
        }

        static LongBinaryOperator longOp(String op) {
            return switch (op) {
                case "Add", "Sum" -> Long::sum;
                case "Sub" -> (a, b) -> a - b;
                case "Mul" -> (a, b) -> a * b;
                case "Div" -> (a, b) -> b == 0 ? 0 : a / b;
                case "Max" -> Math::max;
                case "Min" -> Math::min;
                case "Pow" -> (a, b) -> (long) Math.pow(a, b);
                default -> throw new IllegalArgumentException(op);
            };
        }
    }

    static final class Cast implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            ElemType to;
            if (n.opType().equals("CastLike")) {
                to = n.input(1).type();
            } else {
                long code = n.intAttr("to", -1);
                try {
                    to = ElemType.ofOnnx((int) code);
                } catch (IllegalArgumentException e) {
                    throw n.unsupported("attribute 'to' = " + code + " is not a known element type");
                }
            }
            n.intAttr("saturate", 1); // only affects float8 types, which are refused
            if (to == ElemType.STRING || to == ElemType.FLOAT16 || to == ElemType.BFLOAT16) {
                throw n.unsupported("casting to " + to + " is not supported (no such tensor type in ABI v1)");
            }
            n.output(0).set(to, n.input(0).shape());
        }

        @Override
        public boolean fold(Node n, int opset) {
            n.output(0).setConstant(n.input(0).constant().cast(n.output(0).type()));
            return true;
        }
    }

    /** Identity, and Dropout at inference (its mask output must be unused). */
    static final class Identity implements OpDef {
        @Override
        public void infer(Node n, int opset) {
            if (n.opType().equals("Dropout")) {
                n.ignoreAttribute("ratio");
                n.ignoreAttribute("seed");
                n.ignoreAttribute("is_test");
                if (n.input(2) != null && (!n.input(2).isConstant() || n.input(2).constant().longAt(0) != 0)) {
                    throw n.unsupported("training_mode must be a constant false for inference");
                }
                for (int i = 1; i < n.outputs().size(); i++) {
                    n.output(i).set(ElemType.BOOL, n.input(0).shape());
                }
            }
            n.output(0).set(n.input(0).type(), n.input(0).shape());
        }

        @Override
        public boolean fold(Node n, int opset) {
            if (n.outputs().size() > 1) {
                return false;
            }
            n.output(0).setConstant(n.input(0).constant());
            return true;
        }
    }
}
