package io.wasminference.compiler.lower;

import io.wasminference.abi.DType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Lays out linear memory after the runtime's own data and writes the plan: header and op stream, then the
 * weights (the data segment the module carries), then the ABI input and output buffers (max_batch samples each)
 * and the arena (uninitialized; they cost nothing in the file).
 */
public final class PlanEncoder {

    /** The encoded plan and where everything went. */
    public record Encoded(long base, byte[] segment, long memoryEnd, long weightBytes, long arenaBytes,
                          long ioBytes, int opCount) {}

    private PlanEncoder() {}

    /**
     * @param heapBase the runtime's {@code __heap_base}; the plan starts at the next 16-byte boundary
     * @param chunk samples per pass through the op stream
     * @param inputTypes the ABI dtype of each input (for the runtime's NaN/Inf check)
     */
    public static Encoded encode(Lowerer.Lowered plan, long heapBase, int maxBatch, int chunk, boolean rejectNonFinite,
                                 List<DType> inputTypes) {
        long base = (heapBase + 15) & ~15L;
        int nIn = plan.inputs().length;
        int nOut = plan.outputs().length;
        long headerWords = Opcode.HEADER_WORDS + 2L * (nIn + nOut) + nIn;
        long opWords = 0;
        for (PlanOp op : plan.ops()) {
            opWords += op.words();
        }
        long cursor = base + 4 * (headerWords + opWords);
        List<Buffer> consts = new ArrayList<>();
        List<Buffer> arena = new ArrayList<>();
        for (Buffer b : plan.buffers()) {
            if (b.kind == Buffer.Kind.CONST) {
                consts.add(b);
            } else if (b.kind == Buffer.Kind.ARENA || b.kind == Buffer.Kind.SCRATCH) {
                if (b.lastUse >= 0) {
                    arena.add(b);
                }
            }
        }
        long weightsStart = cursor;
        for (Buffer b : consts) {
            cursor = align(cursor, 16);
            b.address = cursor;
            cursor += b.bytes;
        }
        long segmentEnd = cursor;
        long ioStart = align(cursor, ArenaPlanner.ALIGN);
        cursor = ioStart;
        for (Buffer b : plan.inputs()) {
            cursor = align(cursor, ArenaPlanner.ALIGN);
            b.address = cursor;
            cursor += b.bytes * maxBatch;
        }
        for (Buffer b : plan.outputs()) {
            cursor = align(cursor, ArenaPlanner.ALIGN);
            b.address = cursor;
            cursor += b.bytes * maxBatch;
        }
        long ioBytes = cursor - ioStart;
        long arenaBase = align(cursor, ArenaPlanner.ALIGN);
        long arenaBytes = ArenaPlanner.place(arena, chunk, arenaBase);
        long memoryEnd = align(arenaBase + arenaBytes, 16);
        if (memoryEnd > 0xFFFF_0000L) {
            throw new io.wasminference.compiler.UnsupportedModelException("the model needs " + (memoryEnd >> 20)
                    + " MiB of linear memory at max batch " + maxBatch + ", more than wasm32's 4 GiB; lower the "
                    + "max batch");
        }
        ByteBuffer out = ByteBuffer.allocate((int) (segmentEnd - base)).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(Opcode.PLAN_MAGIC).putInt(Opcode.PLAN_VERSION).putInt(nIn).putInt(nOut).putInt(maxBatch)
                .putInt(chunk).putInt(plan.ops().size()).putInt((int) (base + 4 * headerWords))
                .putInt((int) memoryEnd).putInt(rejectNonFinite ? Opcode.FLAG_REJECT_NONFINITE : 0);
        for (Buffer b : plan.inputs()) {
            out.putInt((int) b.address).putInt((int) b.bytes);
        }
        for (Buffer b : plan.outputs()) {
            out.putInt((int) b.address).putInt((int) b.bytes);
        }
        for (DType t : inputTypes) {
            out.putInt(Lowerer.code(t));
        }
        for (PlanOp op : plan.ops()) {
            out.putInt(op.opcode.code).putInt(op.words());
            for (PlanOp.Arg a : op.args) {
                if (a instanceof PlanOp.TensorArg t) {
                    Buffer b = t.buffer();
                    boolean io = b.kind == Buffer.Kind.INPUT || b.kind == Buffer.Kind.OUTPUT;
                    out.putInt((int) b.address).putInt((int) b.stride()).putInt(io ? Opcode.T_IO : 0);
                } else if (a instanceof PlanOp.AddrArg ad) {
                    out.putInt(ad.buffer() == null ? 0 : (int) ad.buffer().address);
                } else {
                    out.putInt(((PlanOp.WordArg) a).value());
                }
            }
        }
        for (Buffer b : consts) {
            out.position((int) (b.address - base));
            out.put(b.data);
        }
        return new Encoded(base, out.array(), memoryEnd, segmentEnd - weightsStart, arenaBytes, ioBytes,
                plan.ops().size());
    }

    private static long align(long v, long a) {
        return (v + a - 1) / a * a;
    }
}
