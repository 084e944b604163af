package io.wasminference.bench;

import io.wasminference.bench.kernel.KernelBench;
import io.wasminference.bench.kernel.OrtRunner;
import io.wasminference.bench.kernel.Runner;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Before the benchmarks: writes each model's first 128 test inputs for the native harness
 * ({@code DIR/NAME.inputs.bin}). After the native harness ran ({@code check}): compares the logits of every
 * implementation on those 128 samples, batch 128, against the native SSE2 build's
 * ({@code DIR/NAME.native-sse2.logits}), appending model,impl,max_abs_diff,bit_identical to
 * {@code DIR/outputs.csv}.
 */
public final class Prepare {
    private Prepare() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[1]);
        if (args[0].equals("inputs")) {
            for (BenchModel m : BenchModel.values()) {
                m.exportInputs(dir.resolve(m.id() + ".inputs.bin"));
            }
            System.out.println("onnxruntime " + OrtRunner.version());
            return;
        }
        Path out = dir.resolve("outputs.csv");
        for (BenchModel m : BenchModel.values()) {
            byte[] reference = Files.readAllBytes(dir.resolve(m.id() + ".native-sse2.logits"));
            byte[] inputs = m.batchBytes(BenchModel.SAMPLES);
            for (String impl : new String[] {"native-march", "wasm-simd128", "wasm-scalar", "onnxruntime"}) {
                byte[] logits;
                if (impl.startsWith("native")) {
                    logits = Files.readAllBytes(dir.resolve(m.id() + ".native-march.logits"));
                } else {
                    try (Runner r = KernelBench.open(m, impl)) {
                        logits = r.logits(BenchModel.SAMPLES, inputs);
                    }
                }
                Results.append(out, "model,impl,max_abs_diff,bit_identical", m.id(), impl,
                        String.format(java.util.Locale.ROOT, "%.2e", maxDiff(reference, logits)),
                        java.util.Arrays.equals(reference, logits));
            }
        }
    }

    static double maxDiff(byte[] a, byte[] b) {
        ByteBuffer x = ByteBuffer.wrap(a).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer y = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (a.length != b.length) {
            return Double.POSITIVE_INFINITY;
        }
        double d = 0;
        for (int i = 0; i < a.length; i += 4) {
            d = Math.max(d, Math.abs(x.getFloat(i) - y.getFloat(i)));
        }
        return d;
    }
}
