package io.wasminference.compiler.lower;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Groups runs of consecutive ops into segments the runtime executes one sample at a time ({@code WIG_OP_SEGMENT}),
 * so a sample's intermediate tensors stay in cache through a chain of convolutions, and tensors that live only
 * inside a segment need room for one sample instead of a whole pass. Dense layers over few rows per sample
 * (the classifier head) stay outside and run once over all the pass's samples, where batching pays.
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
        List<PlanOp> out = new ArrayList<>();
        int i = 0;
        while (i < ops.size()) {
            int end = i;
            while (end < ops.size() && perSample(ops.get(end))) {
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
            boolean local = b.kind == Buffer.Kind.ARENA && b.firstUse >= first && b.lastUse <= last;
            b.local = b.local || local;
            // every sample runs the whole segment: what any of its ops touches is live throughout
            b.firstUse = Math.min(b.firstUse, first);
            b.lastUse = Math.max(b.lastUse, last);
        }
    }
}
