package io.wasminference.tensor;

import org.apache.flink.annotation.Internal;

import java.util.List;
import java.util.Objects;

/** Top-k classes of a score vector, with softmax probabilities. */
@Internal
public final class TopK {
    private TopK() {}

    /** A class and its softmax probability. */
    public record Entry(int index, float probability) {}

    /**
     * @param scores one sample's score vector (logits or probabilities), any numeric dtype
     * @param k how many classes to return, highest first
     */
    public static List<Entry> of(Tensor scores, int k) {
        double[] v = scores.toDoubles();
        return of(v, k);
    }

    /** Top {@code k} of {@code v}, highest first; equal scores in index order. */
    public static List<Entry> of(double[] v, int k) {
        int n = Math.min(Math.max(k, 0), v.length);
        int[] indices = new int[n];
        float[] probabilities = new float[n];
        select(v, k, indices, probabilities);
        Entry[] top = new Entry[n];
        for (int r = 0; r < n; r++) {
            top[r] = new Entry(indices[r], probabilities[r]);
        }
        return List.of(top);
    }

    /**
     * Top {@code k} of {@code v} into caller-owned arrays (the per-record path allocates nothing here): the classes,
     * highest first with equal scores in index order, and their softmax probabilities over all of {@code v}.
     *
     * @param indices receives the classes; at least {@code min(k, v.length)} long
     * @param probabilities receives their probabilities; at least as long
     * @return how many were written: {@code min(k, v.length)}, 0 for {@code k <= 0}
     */
    public static int select(double[] v, int k, int[] indices, float[] probabilities) {
        return select(v, 0, v.length, k, indices, probabilities);
    }

    /**
     * {@link #select(double[], int, int[], float[])} of the {@code length} scores from {@code v[from]} (one row of a
     * batch's scores); the classes written are relative to {@code from}.
     */
    public static int select(double[] v, int from, int length, int k, int[] indices, float[] probabilities) {
        Objects.checkFromIndexSize(from, length, v.length);
        int n = Math.min(Math.max(k, 0), length);
        if (n == 0) {
            return 0;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int i = from; i < from + length; i++) {
            max = Math.max(max, v[i]);
        }
        // One pass: each exp is computed once, summed in index order (the normaliser), and kept only while its
        // class is among the best n so far (insertion into the best n: a selection scan per rank was a tenth of a
        // 64-sample batch's task time for a 10-class MLP).
        double[] kept = new double[n];
        double sum = 0;
        int filled = 0;
        for (int c = 0; c < length; c++) {
            double x = v[from + c];
            double e = Math.exp(x - max);
            sum += e;
            if (filled == n && !(x > v[from + indices[n - 1]])) {
                continue;
            }
            int j = filled < n ? filled++ : n - 1;
            while (j > 0 && x > v[from + indices[j - 1]]) {
                indices[j] = indices[j - 1];
                kept[j] = kept[j - 1];
                j--;
            }
            indices[j] = c;
            kept[j] = e;
        }
        for (int r = 0; r < n; r++) {
            probabilities[r] = (float) (kept[r] / sum);
        }
        return n;
    }
}
