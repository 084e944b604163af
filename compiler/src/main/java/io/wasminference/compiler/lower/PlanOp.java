package io.wasminference.compiler.lower;

import java.util.ArrayList;
import java.util.List;

/** One op of the plan, its arguments in the order wig_plan.h gives them. */
final class PlanOp {
    sealed interface Arg permits TensorArg, AddrArg, WordArg {}

    /** A tensor argument: address, bytes per sample, flags (3 words). */
    record TensorArg(Buffer buffer) implements Arg {}

    /** The address of a buffer, or 0 for none (1 word). */
    record AddrArg(Buffer buffer) implements Arg {}

    record WordArg(int value) implements Arg {}

    final Opcode opcode;
    final String origin;
    final List<Arg> args = new ArrayList<>();

    PlanOp(Opcode opcode, String origin) {
        this.opcode = opcode;
        this.origin = origin;
    }

    PlanOp t(Buffer b) {
        args.add(new TensorArg(b));
        return this;
    }

    PlanOp addr(Buffer b) {
        args.add(new AddrArg(b));
        return this;
    }

    PlanOp i(long v) {
        if (v < Integer.MIN_VALUE || v > 0xFFFFFFFFL) {
            throw new IllegalArgumentException("plan word out of range: " + v);
        }
        args.add(new WordArg((int) v));
        return this;
    }

    PlanOp f(float v) {
        args.add(new WordArg(Float.floatToRawIntBits(v)));
        return this;
    }

    PlanOp ints(int[] v) {
        for (int x : v) {
            i(x);
        }
        return this;
    }

    PlanOp longs(long[] v) {
        for (long x : v) {
            i(x);
        }
        return this;
    }

    int words() {
        int n = 2;
        for (Arg a : args) {
            n += a instanceof TensorArg ? 3 : 1;
        }
        return n;
    }

    List<Buffer> buffers() {
        List<Buffer> out = new ArrayList<>();
        for (Arg a : args) {
            if (a instanceof TensorArg t) {
                out.add(t.buffer());
            } else if (a instanceof AddrArg ad && ad.buffer() != null) {
                out.add(ad.buffer());
            }
        }
        return out;
    }
}
