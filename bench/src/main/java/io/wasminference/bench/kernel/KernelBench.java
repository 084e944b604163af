package io.wasminference.bench.kernel;

import io.wasminference.bench.BenchModel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;

/**
 * Kernel level: time per batch of one sample model through the wasm runtime (SIMD128 and scalar builds) and
 * through ONNX Runtime, one thread, same weights, same inputs. The native C builds are timed by
 * bench/native/harness.c in the same bench/run.sh run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class KernelBench {
    @Param({"digits-mlp", "fashion-lenet5"})
    public String model;

    @Param({"1", "8", "32", "64", "128"})
    public int batch;

    @Param({"wasm-simd128", "wasm-scalar", "onnxruntime"})
    public String impl;

    private Runner runner;
    private byte[] inputs;

    @Setup(Level.Trial)
    public void setUp() {
        BenchModel m = BenchModel.of(model);
        runner = open(m, impl);
        inputs = m.batchBytes(batch);
    }

    /** The runner for an implementation name used in the results. */
    public static Runner open(BenchModel m, String impl) {
        return switch (impl) {
            case "wasm-simd128" -> new WasmRunner(m, true);
            case "wasm-scalar" -> new WasmRunner(m, false);
            case "onnxruntime" -> new OrtRunner(m);
            default -> throw new IllegalArgumentException("unknown implementation " + impl);
        };
    }

    @Benchmark
    public Object runBatch() {
        return runner.run(batch, inputs);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        runner.close();
    }
}
