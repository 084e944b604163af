package io.wasminference.compiler.lower;

import java.util.ArrayList;
import java.util.List;

/**
 * A nest of loops over {@code dims} with one stride per dimension for each of several operands, with unit
 * dimensions dropped and neighbours merged wherever every operand walks them as one (so a contiguous copy is one
 * loop, and the runtime's innermost loop is as long as it can be).
 */
record StridedLoop(int[] dims, long[][] strides) {

    int rank() {
        return dims.length;
    }

    long[] strides(int operand) {
        return strides[operand];
    }

    static StridedLoop collapse(int[] dims, long[]... operandStrides) {
        List<Integer> d = new ArrayList<>();
        List<long[]> s = new ArrayList<>();
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] == 1) {
                continue;
            }
            long[] col = new long[operandStrides.length];
            for (int k = 0; k < col.length; k++) {
                col[k] = operandStrides[k][i];
            }
            if (!d.isEmpty()) {
                int last = d.size() - 1;
                long[] prev = s.get(last);
                boolean merge = true;
                for (int k = 0; k < col.length; k++) {
                    if (prev[k] != col[k] * dims[i]) {
                        merge = false;
                        break;
                    }
                }
                if (merge) {
                    d.set(last, d.get(last) * dims[i]);
                    s.set(last, col);
                    continue;
                }
            }
            d.add(dims[i]);
            s.add(col);
        }
        if (d.isEmpty()) {
            d.add(1);
            s.add(new long[operandStrides.length]);
        }
        int rank = d.size();
        int[] outDims = d.stream().mapToInt(Integer::intValue).toArray();
        long[][] outStrides = new long[operandStrides.length][rank];
        for (int i = 0; i < rank; i++) {
            for (int k = 0; k < operandStrides.length; k++) {
                outStrides[k][i] = s.get(i)[k];
            }
        }
        return new StridedLoop(outDims, outStrides);
    }
}
