package io.wasminference.compiler.lower;

import io.wasminference.abi.DType;
import io.wasminference.compiler.UnsupportedModelException;
import io.wasminference.compiler.graph.ElemType;
import io.wasminference.compiler.graph.Graph;
import io.wasminference.compiler.graph.Node;
import io.wasminference.compiler.graph.Shapes;
import io.wasminference.compiler.graph.Value;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns the optimized graph into the runtime's op stream: decides each tensor's buffer and layout, inserts the
 * layout conversions the kernels need, materializes constants as weights, and connects the ABI input and output
 * buffers. Per-op translation is {@link NodeLowering}'s; this class owns the bookkeeping it uses.
 */
public final class Lowerer {
    private final Graph graph;
    private final ModelInterface iface;
    final int opset;
    final List<PlanOp> ops = new ArrayList<>();
    final List<Buffer> buffers = new ArrayList<>();
    private final Map<Value, LTensor> tensors = new HashMap<>();
    private final Map<Value, Buffer> constants = new HashMap<>();
    private final Map<Value, Map<String, LTensor>> converted = new HashMap<>();
    /** Graph inputs whose records are not float: only a Cast may read them. */
    final Map<Value, DType> rawInputs = new HashMap<>();
    /** Per-channel affine to apply where a raw input is cast to float. */
    final Map<Value, ModelInterface.Io> rawInputIo = new HashMap<>();
    /** Cast outputs of a non-float type: they may only be model outputs. */
    final Map<Value, DType> castOutputs = new HashMap<>();
    private final Buffer[] inputBuffers;
    private final Buffer[] outputBuffers;
    private final boolean[] outputBound;
    private String origin = "";

    private Lowerer(Graph graph, ModelInterface iface) {
        this.graph = graph;
        this.iface = iface;
        this.opset = graph.opset();
        this.inputBuffers = new Buffer[iface.inputs().size()];
        this.outputBuffers = new Buffer[iface.outputs().size()];
        this.outputBound = new boolean[iface.outputs().size()];
    }

    /** The lowered plan: ops in order, every buffer they use, and the ABI buffers. */
    public record Lowered(List<PlanOp> ops, List<Buffer> buffers, Buffer[] inputs, Buffer[] outputs) {
        /** One line per op: opcode, the node it came from, and its tensors (bytes per sample; local or shared). */
        public String describe() {
            StringBuilder sb = new StringBuilder();
            int inSegment = 0;
            for (PlanOp op : ops) {
                sb.append(inSegment > 0 ? "  " : "").append(String.format("%-11s", op.opcode)).append(' ');
                if (op.opcode == Opcode.SEGMENT) {
                    inSegment = ((PlanOp.WordArg) op.args.get(0)).value() + 1;
                    sb.append(inSegment - 1).append(" ops, one sample at a time\n");
                } else {
                    sb.append(op.origin);
                    for (Buffer b : op.buffers()) {
                        sb.append(" | ").append(b.kind.name().toLowerCase(java.util.Locale.ROOT)).append(' ')
                                .append(b.bytes).append(b.local ? " local" : "");
                    }
                    sb.append('\n');
                }
                inSegment = Math.max(0, inSegment - 1);
            }
            return sb.toString();
        }
    }

    /**
     * @param chunk samples per pass; above 1, runs of per-sample ops become segments ({@link Segmenter})
     */
    public static Lowered lower(Graph graph, ModelInterface iface, int chunk) {
        Lowerer cx = new Lowerer(graph, iface);
        cx.bindInputs();
        NodeLowering lowering = new NodeLowering(cx);
        for (Node n : graph.nodes()) {
            cx.origin = n.describe();
            lowering.lower(n);
        }
        cx.origin = "model outputs";
        cx.bindOutputs();
        List<PlanOp> ops = Segmenter.segment(cx.ops, cx.buffers, chunk);
        return new Lowered(ops, cx.buffers, cx.inputBuffers, cx.outputBuffers);
    }

    // ------------------------------------------------------------------ inputs and outputs

    private void bindInputs() {
        for (int i = 0; i < inputBuffers.length; i++) {
            ModelInterface.Io io = iface.inputs().get(i);
            inputBuffers[i] = new Buffer(Buffer.Kind.INPUT, io.name(), io.sampleBytes(), null, i);
            buffers.add(inputBuffers[i]);
            Value v = io.value();
            LTensor raw = new LTensor(inputBuffers[i], v.shape(), LTensor.identity(v.rank()));
            boolean modelFloat = v.type() == ElemType.FLOAT;
            boolean plain = io.dtype() == DType.F32 && io.scale() == null && io.shift() == null;
            if (modelFloat && plain) {
                tensors.put(v, raw);
            } else if (modelFloat) {
                origin = "input '" + io.name() + "'";
                tensors.put(v, emitConvert(raw, io.dtype(), DType.F32, io.scale(), io.shift(), v));
            } else {
                rawInputs.put(v, io.dtype());
                rawInputIo.put(v, io);
                tensors.put(v, raw);
            }
        }
    }

    private void bindOutputs() {
        for (int i = 0; i < outputBuffers.length; i++) {
            ModelInterface.Io io = iface.outputs().get(i);
            if (outputBuffers[i] == null) {
                outputBuffers[i] = new Buffer(Buffer.Kind.OUTPUT, io.name(), io.sampleBytes(), null, i);
                buffers.add(outputBuffers[i]);
            }
            if (outputBound[i]) {
                continue;
            }
            Value v = io.value();
            LTensor out = new LTensor(outputBuffers[i], v.shape(), LTensor.identity(v.rank()));
            DType from = castOutputs.getOrDefault(v, rawInputs.getOrDefault(v, DType.F32));
            LTensor src = rawInputs.containsKey(v) || castOutputs.containsKey(v) ? tensors.get(v) : identity(v);
            if (from == io.dtype() && !castOutputs.containsKey(v)) {
                emitCopy(src, out);
            } else {
                DType srcType = rawInputs.containsKey(v) ? rawInputs.get(v) : DType.F32;
                emit(new PlanOp(Opcode.CONVERT, origin).t(src.buffer()).t(out.buffer()).i(src.size())
                        .i(code(srcType)).i(code(io.dtype())).i(1).i(1).addr(null).addr(null).i(0));
            }
        }
    }

    private int outputSlot(Value v) {
        for (int i = 0; i < outputBuffers.length; i++) {
            if (!outputBound[i] && iface.outputs().get(i).value() == v) {
                return i;
            }
        }
        return -1;
    }

    // ------------------------------------------------------------------ tensors

    /** The lowered tensor of a value: computed by an earlier op, a model input, or a constant (as weights). */
    LTensor get(Value v) {
        if (castOutputs.containsKey(v)) {
            throw new UnsupportedModelException(origin + " reads '" + v.name() + "', a " + castOutputs.get(v)
                    + " tensor; integer tensors may only be model outputs (computation runs in float32)");
        }
        if (rawInputs.containsKey(v)) {
            throw new UnsupportedModelException(origin + " reads model input '" + v.name() + "' of type "
                    + v.type() + " directly; only a Cast to float may read a non-float input (computation runs "
                    + "in float32)");
        }
        LTensor t = tensors.get(v);
        if (t != null) {
            return t;
        }
        if (v.isConstant()) {
            return new LTensor(constant(v), v.shape(), LTensor.identity(v.rank()));
        }
        throw new IllegalStateException("no lowered tensor for " + v + " at " + origin);
    }

    /** A non-float model input as its records carry it (only Cast reads it). */
    LTensor raw(Value v) {
        return tensors.get(v);
    }

    /** The value in ONNX's row-major layout (converted once if an op produced it in another). */
    LTensor identity(Value v) {
        return inLayout(v, LTensor.identity(v.rank()));
    }

    /** The value stored N, spatial..., C (converted once if needed). */
    LTensor channelsLast(Value v) {
        return inLayout(v, LTensor.channelsLast(v.rank()));
    }

    private LTensor inLayout(Value v, int[] perm) {
        LTensor t = get(v);
        if (t.hasLayout(perm)) {
            return t;
        }
        String key = java.util.Arrays.toString(perm);
        Map<String, LTensor> cache = converted.computeIfAbsent(v, k -> new HashMap<>());
        LTensor c = cache.get(key);
        if (c == null) {
            c = new LTensor(arena(v.name() + key, t.size() * 4), t.shape(), perm);
            emitCopy(t, c);
            cache.put(key, c);
        }
        return c;
    }

    /** Allocates the tensor a node computes; a model output is written straight into its ABI buffer. */
    LTensor define(Value v, int[] perm) {
        if (v.type() != ElemType.FLOAT) {
            throw new UnsupportedModelException(origin + " computes '" + v.name() + "' as " + v.type()
                    + "; only float32 tensors can be computed at run time");
        }
        int slot = outputSlot(v);
        Buffer b;
        if (slot >= 0 && LTensor.sameMemoryOrder(perm, LTensor.identity(v.rank()), v.shape())
                && iface.outputs().get(slot).dtype() == DType.F32) {
            ModelInterface.Io io = iface.outputs().get(slot);
            b = new Buffer(Buffer.Kind.OUTPUT, io.name(), io.sampleBytes(), null, slot);
            buffers.add(b);
            outputBuffers[slot] = b;
            outputBound[slot] = true;
        } else {
            b = arena(v.name(), v.size() * 4);
        }
        LTensor t = new LTensor(b, v.shape(), perm);
        tensors.put(v, t);
        return t;
    }

    /** Records that {@code v} is stored as {@code t} (a view of another tensor's buffer, or a raw tensor). */
    void alias(Value v, LTensor t) {
        tensors.put(v, t);
    }

    Buffer arena(String name, long bytes) {
        Buffer b = new Buffer(Buffer.Kind.ARENA, name, Math.max(4, bytes), null, -1);
        buffers.add(b);
        return b;
    }

    Buffer scratch(long bytes) {
        Buffer b = new Buffer(Buffer.Kind.SCRATCH, "scratch of " + origin, Math.max(16, bytes), null, -1);
        buffers.add(b);
        return b;
    }

    /** A float32 weight buffer. */
    Buffer weights(String name, float[] values) {
        ByteBuffer bb = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(values);
        Buffer b = new Buffer(Buffer.Kind.CONST, name, bb.capacity(), bb.array(), -1);
        buffers.add(b);
        return b;
    }

    /** A constant value as float32 weights (once per value). */
    Buffer constant(Value v) {
        return constants.computeIfAbsent(v, k -> {
            if (k.constant().type() != ElemType.FLOAT && k.constant().type() != ElemType.DOUBLE) {
                throw new UnsupportedModelException(origin + " reads the " + k.constant().type() + " constant '"
                        + k.name() + "' as run-time data; only float constants can be");
            }
            return weights(k.name(), k.constant().floats());
        });
    }

    // ------------------------------------------------------------------ emitting ops

    void emit(PlanOp op) {
        int index = ops.size();
        for (Buffer b : op.buffers()) {
            b.use(index);
        }
        ops.add(op);
    }

    PlanOp op(Opcode code) {
        return new PlanOp(code, origin);
    }

    /** Copies {@code src} into {@code dst} (same logical shape, any layouts) with one strided copy. */
    void emitCopy(LTensor src, LTensor dst) {
        emitCopy(src, 0, src.logicalStrides(), dst, 0, dst.logicalStrides(), src.shape());
    }

    /**
     * Strided copy over {@code dims}: the element at index i goes from {@code srcOffset + sum(i * srcStrides)}
     * in {@code src} to {@code dstOffset + sum(i * dstStrides)} in {@code dst} (element offsets and strides).
     * The loop runs in the destination's memory order, so its innermost writes are contiguous.
     */
    void emitCopy(LTensor src, long srcOffset, long[] srcStrides, LTensor dst, long dstOffset, long[] dstStrides,
                  int[] dims) {
        int rank = dims.length;
        Integer[] order = new Integer[rank];
        for (int i = 0; i < rank; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Long.compare(Math.abs(dstStrides[b]), Math.abs(dstStrides[a])));
        int[] d = new int[rank];
        long[] is = new long[rank];
        long[] os = new long[rank];
        for (int i = 0; i < rank; i++) {
            d[i] = dims[order[i]];
            is[i] = srcStrides[order[i]];
            os[i] = dstStrides[order[i]];
        }
        StridedLoop loop = StridedLoop.collapse(d, is, os);
        if (loop.rank() > Opcode.MAX_RANK) {
            throw new UnsupportedModelException(origin + ": a copy over more than " + Opcode.MAX_RANK
                    + " dimensions is not supported");
        }
        emit(op(Opcode.COPY).t(src.buffer()).t(dst.buffer()).i(loop.rank()).i(srcOffset).i(dstOffset)
                .ints(loop.dims()).longs(loop.strides(0)).longs(loop.strides(1)));
    }

    LTensor emitConvert(LTensor raw, DType from, DType to, float[] scale, float[] shift, Value v) {
        boolean channelsLast = feedsOnlyImageOps(v) && raw.rank() >= 3 && raw.isIdentity();
        int[] perm = channelsLast ? LTensor.channelsLast(raw.rank()) : raw.perm();
        LTensor out = new LTensor(arena(v.name() + ".f32", raw.size() * 4), raw.shape(), perm);
        int channels = 1;
        long inner = 1;
        if (scale != null && scale.length > 1 || shift != null && shift.length > 1) {
            int c = scale != null ? scale.length : shift.length;
            if (raw.rank() < 2 || raw.shape()[1] != c) {
                throw new UnsupportedModelException("input '" + v.name() + "' has shape " + Shapes.str(raw.shape())
                        + "; a normalization of " + c + " channels needs dimension 1 to have " + c);
            }
            channels = c;
            for (int i = 2; i < raw.rank(); i++) {
                inner *= raw.shape()[i];
            }
        } else if (channelsLast) {
            channels = raw.shape()[1];
            for (int i = 2; i < raw.rank(); i++) {
                inner *= raw.shape()[i];
            }
        }
        emit(op(Opcode.CONVERT).t(raw.buffer()).t(out.buffer()).i(raw.size()).i(code(from)).i(code(to))
                .i(channels).i(inner).addr(scale == null ? null : weights(v.name() + ".scale", scale))
                .addr(shift == null ? null : weights(v.name() + ".shift", shift)).i(channelsLast ? 1 : 0));
        return out;
    }

    /** Whether every reader of v is a convolution or pooling (which want it channels-last). */
    private boolean feedsOnlyImageOps(Value v) {
        List<Node> readers = graph.consumers().getOrDefault(v, List.of());
        return !readers.isEmpty() && !graph.outputs().contains(v) && readers.stream().allMatch(n -> switch (n.opType()) {
            case "Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool" -> n.input(0) == v;
            default -> false;
        });
    }

    static int code(DType t) {
        return t.ordinal(); // WIG_DT_* follow ABI v1's order: f32, f64, i32, i64, i8, u8
    }

    String origin() {
        return origin;
    }
}
