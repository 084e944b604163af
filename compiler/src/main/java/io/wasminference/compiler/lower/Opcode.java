package io.wasminference.compiler.lower;

/**
 * The graph runtime's opcodes ({@code WIG_OP_*} in compiler/src/main/c/wig_plan.h, which documents each op's
 * arguments). PlanFormatTest checks that the numbers agree with the header.
 */
public enum Opcode {
    CONVERT(1),
    UNARY(2),
    BINARY(3),
    CONV(4),
    DWCONV(5),
    DENSE(6),
    POOL(7),
    GLOBAL_POOL(8),
    SOFTMAX(9),
    COPY(10),
    FILL(11),
    PAD(12),
    MATMUL(13),
    REDUCE(14),
    SEGMENT(15);

    public final int code;

    Opcode(int code) {
        this.code = code;
    }

    /** Runtime binary operator codes ({@code WIG_BIN_*}). */
    public enum Binary {
        ADD(0), SUB(1), MUL(2), DIV(3), POW(4), MAX(5), MIN(6);

        public final int code;

        Binary(int code) {
            this.code = code;
        }

        public static Binary of(String onnxOp) {
            return switch (onnxOp) {
                case "Add", "Sum" -> ADD;
                case "Sub" -> SUB;
                case "Mul" -> MUL;
                case "Div" -> DIV;
                case "Pow" -> POW;
                case "Max" -> MAX;
                case "Min" -> MIN;
                default -> throw new IllegalArgumentException(onnxOp);
            };
        }
    }

    /** Plan header constants ({@code WIG_*} in wig_plan.h). */
    public static final int PLAN_MAGIC = 0x31474957;
    public static final int PLAN_VERSION = 1;
    public static final int HEADER_WORDS = 10;
    public static final int FLAG_REJECT_NONFINITE = 1;
    public static final int T_IO = 1;
    public static final int MAX_RANK = 6;
    public static final int MAX_IO = 16;
}
