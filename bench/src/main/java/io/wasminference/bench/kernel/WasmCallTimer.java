package io.wasminference.bench.kernel;

import io.wasminference.bench.BenchModel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Times several builds of one sample model through the runtime ({@link WasmRunner}: {@code ModelInstance.run}),
 * interleaved so that a slow minute of a shared machine hits every build alike: {@code rounds} rounds, each timing
 * every build for about 200 ms per batch size. Prints one CSV line per build and batch:
 * {@code label,model,batch,best_us,median_us} (best and median over the rounds of the mean time per batch). Used
 * by {@code bench/kernel-history.sh}.
 *
 * <pre>WasmCallTimer MODEL ROUNDS BATCHES LABEL=FILE.wasm...</pre>
 */
public final class WasmCallTimer {
    private WasmCallTimer() {}

    public static void main(String[] args) throws Exception {
        BenchModel model = BenchModel.of(args[0]);
        int rounds = Integer.parseInt(args[1]);
        int[] batches = Arrays.stream(args[2].split(",")).mapToInt(Integer::parseInt).toArray();
        List<String> labels = new ArrayList<>();
        List<Runner> runners = new ArrayList<>();
        try {
            for (String spec : Arrays.copyOfRange(args, 3, args.length)) {
                String[] kv = spec.split("=", 2);
                labels.add(kv[0]);
                runners.add(new WasmRunner(Files.readAllBytes(Path.of(kv[1]))));
            }
            double[][][] perBatch = new double[labels.size()][batches.length][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < labels.size(); i++) {
                    for (int b = 0; b < batches.length; b++) {
                        perBatch[i][b][r] = micros(runners.get(i), model.batchBytes(batches[b]), batches[b]);
                    }
                }
            }
            for (int i = 0; i < labels.size(); i++) {
                for (int b = 0; b < batches.length; b++) {
                    double[] v = perBatch[i][b].clone();
                    Arrays.sort(v);
                    System.out.printf(Locale.ROOT, "%s,%s,%d,%.1f,%.1f%n", labels.get(i), model.id(), batches[b],
                            v[0], v[v.length / 2]);
                }
            }
        } finally {
            runners.forEach(Runner::close);
        }
    }

    /** Mean microseconds per batch over about 200 ms, after a warm-up of about 50 ms. */
    private static double micros(Runner runner, byte[] inputs, int batch) {
        long t0 = System.nanoTime();
        runner.run(batch, inputs);
        long iterations = Math.max(1, 200_000_000L / Math.max(1, System.nanoTime() - t0));
        for (long n = 0; n < iterations / 4; n++) {
            runner.run(batch, inputs);
        }
        long start = System.nanoTime();
        for (long n = 0; n < iterations; n++) {
            runner.run(batch, inputs);
        }
        return (System.nanoTime() - start) / 1e3 / iterations;
    }
}
