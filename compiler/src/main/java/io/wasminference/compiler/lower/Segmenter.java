package io.wasminference.compiler.lower;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Groups runs of consecutive ops into segments the runtime executes one sample at a time ({@code WIG_OP_SEGMENT}),
 * so a sample's intermediate tensors stay in cache through a chain of convolutions, and tensors that live only
 * inside a segment need room for one sample instead of a whole pass. Dense layers over few rows per sample
 * after the last convolution or pooling (the classifier head) stay outside and run once over all the pass's
 * samples, where batching pays; before it (squeeze-excite blocks) they stay in the segment, which matters more.
 */
final class Segmenter {
    /** A dense layer with fewer rows per sample than this runs batched, outside segments. */
    static final int BATCHED_DENSE_ROWS = 8;

    private Segmenter() {}

    /** The ops with SEGMENT markers inserted; marks segment-local buffers and extends lifetimes over segments. */
    static List<PlanOp> segment(List<PlanOp> ops, List<Buffer> buffers, int chunk) {
        if (chunk == 1) {
            return ops;
        }
        int lastImageOp = -1;
        for (int k = 0; k < ops.size(); k++) {
            Opcode c = ops.get(k).opcode;
            if (c == Opcode.CONV || c == Opcode.DWCONV || c == Opcode.POOL || c == Opcode.GLOBAL_POOL) {
                lastImageOp = k;
            }
        }
        List<PlanOp> out = new ArrayList<>();
        int i = 0;
        while (i < ops.size()) {
            int end = i;
            while (end < ops.size() && (end <= lastImageOp || perSample(ops.get(end)))) {
                end++;
            }
            if (end - i >= 2) {
                mark(ops, buffers, i, end - 1);
                out.add(new PlanOp(Opcode.SEGMENT, "segment").i(end - i));
                out.addAll(ops.subList(i, end));
                i = end;
            } else {
                out.add(ops.get(i));
                i++;
            }
        }
        return out;
    }

    private static boolean perSample(PlanOp op) {
        if (op.opcode == Opcode.DENSE) {
            int rows = ((PlanOp.WordArg) op.args.get(5)).value(); // in, out, w, bias, scratch, M
            return rows >= BATCHED_DENSE_ROWS;
        }
        return true;
    }

    private static void mark(List<PlanOp> ops, List<Buffer> buffers, int first, int last) {
        Set<Buffer> inside = new HashSet<>();
        for (int k = first; k <= last; k++) {
            inside.addAll(ops.get(k).buffers());
        }
        for (Buffer b : inside) {
            boolean inner = b.firstUse >= first && b.lastUse <= last;
            if (b.kind == Buffer.Kind.ARENA && inner) {
                // one sample's worth, rewritten by every sample: its own lifetime holds within each repetition
                b.local = true;
            } else if (!inner) {
                // it carries samples into or out of the segment while later samples run every op of it
                b.firstUse = Math.min(b.firstUse, first);
                b.lastUse = Math.max(b.lastUse, last);
            }
        }
    }
}
