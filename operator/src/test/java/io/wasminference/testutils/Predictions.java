package io.wasminference.testutils;

import io.wasminference.tensor.Tensor;

/** Small helpers for checking classifier outputs in tests. */
public final class Predictions {
    private Predictions() {}

    /** Index of the largest element (the first one on ties). */
    public static int argmax(Tensor scores) {
        double[] v = scores.toDoubles();
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
