package io.wasminference.tensor;

import java.util.ArrayList;
import java.util.List;

/** Top-k classes of a score vector, with softmax probabilities. */
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

    public static List<Entry> of(double[] v, int k) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : v) {
            max = Math.max(max, x);
        }
        double sum = 0;
        double[] e = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            e[i] = Math.exp(v[i] - max);
            sum += e[i];
        }
        int n = Math.min(k, v.length);
        List<Entry> top = new ArrayList<>(n);
        boolean[] taken = new boolean[v.length];
        for (int r = 0; r < n; r++) {
            int best = -1;
            for (int i = 0; i < v.length; i++) {
                if (!taken[i] && (best < 0 || v[i] > v[best])) {
                    best = i;
                }
            }
            taken[best] = true;
            top.add(new Entry(best, (float) (e[best] / sum)));
        }
        return top;
    }
}
