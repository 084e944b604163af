package io.wasminference.tensor;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TopKTest {

    /** Reference: sort every index by score, highest first, equal scores in index order. */
    private static List<Integer> reference(double[] v, int k) {
        return IntStream.range(0, v.length).boxed()
                .sorted(Comparator.comparingDouble((Integer i) -> -v[i]).thenComparingInt(i -> i))
                .limit(k)
                .toList();
    }

    @Test
    void ranksLikeAFullSortIncludingTiesAndKBeyondTheClassCount() {
        Random random = new Random(7);
        for (int trial = 0; trial < 2000; trial++) {
            int n = 1 + random.nextInt(12);
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = random.nextInt(6) - 3; // few distinct values: many ties
            }
            int k = random.nextInt(n + 3);
            List<TopK.Entry> top = TopK.of(v, k);
            assertEquals(reference(v, k), top.stream().map(TopK.Entry::index).toList(), () -> "k=" + k);
        }
    }

    @Test
    void probabilitiesAreTheSoftmaxOfAllScores() {
        double[] logits = {2.0, -1.0, 0.5, 3.0};
        double sum = 0;
        for (double x : logits) {
            sum += Math.exp(x);
        }
        List<TopK.Entry> top = TopK.of(logits, 4);
        assertEquals(3, top.get(0).index());
        for (TopK.Entry e : top) {
            assertEquals(Math.exp(logits[e.index()]) / sum, e.probability(), 1e-6);
        }
        assertTrue(TopK.of(logits, 0).isEmpty());
    }

    /** The softmax as computed before {@link TopK#select} (all exps first, then a scan): scores stay bit for bit. */
    private static float[] previousProbabilities(double[] v, List<Integer> ranked) {
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
        float[] out = new float[ranked.size()];
        for (int r = 0; r < out.length; r++) {
            out[r] = (float) (e[ranked.get(r)] / sum);
        }
        return out;
    }

    @Test
    void probabilitiesAreBitForBitThoseOfTheFullSoftmax() {
        Random random = new Random(11);
        for (int trial = 0; trial < 5000; trial++) {
            int n = 1 + random.nextInt(20);
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = trial % 3 == 0 ? random.nextInt(5) : (float) (random.nextGaussian() * 8);
            }
            if (trial % 97 == 0) {
                v[random.nextInt(n)] = trial % 2 == 0 ? Double.NaN : Double.POSITIVE_INFINITY;
            }
            int k = 1 + random.nextInt(n + 2);
            int[] indices = new int[k];
            float[] probabilities = new float[k];
            int got = TopK.select(v, k, indices, probabilities);
            List<Integer> ranked = reference(v, k);
            assertEquals(ranked.size(), got);
            float[] expected = previousProbabilities(v, ranked);
            // The same row inside a batch's scores (other rows around it) gives the same classes and bits.
            double[] batch = new double[n * 3];
            for (int i = 0; i < batch.length; i++) {
                batch[i] = random.nextGaussian() * 8;
            }
            System.arraycopy(v, 0, batch, n, n);
            int[] rowIndices = new int[k];
            float[] rowProbabilities = new float[k];
            assertEquals(got, TopK.select(batch, n, n, k, rowIndices, rowProbabilities));
            assertArrayEquals(indices, rowIndices);
            assertArrayEquals(probabilities, rowProbabilities);
            for (int r = 0; r < got; r++) {
                int rank = r;
                assertEquals(Float.floatToIntBits(expected[r]), Float.floatToIntBits(probabilities[r]),
                        () -> "rank " + rank + " of " + Arrays.toString(v));
            }
        }
    }

    @Test
    void readsAnyNumericTensor() {
        Tensor scores = Tensor.ofFloats(new int[] {3}, new float[] {0.1f, 0.7f, 0.2f});
        List<TopK.Entry> top = TopK.of(scores, 2);
        assertEquals(List.of(1, 2), top.stream().map(TopK.Entry::index).toList());
    }
}
