package io.wasminference.bench.tvm;

import io.wasminference.bench.BenchModel;
import io.wasminference.bench.kernel.WasmRunner;
import io.wasminference.tvm.TvmModule;
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

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * What migrating a seed-style module to ABI v1 buys (docs/tvm-standalone.md): time per batch of digits-mlp through
 * the runtime as a user calls it ({@code ModelInstance.run}), for the ABI v1 module (SIMD128 and scalar builds)
 * and the seed-style Rust build through the tvm-standalone adapter (tensor JSON, one {@code run} per sample).
 * Same weights, same inputs; every implementation's logits are checked equal at set-up. Per-sample cost = the
 * score / batch. Run by bench/tvm-standalone.sh.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class TvmStandaloneBench {
    @Param({"1", "32", "128"})
    public int batch;

    @Param({"v1-simd128", "v1-scalar", "tvm-standalone"})
    public String impl;

    private WasmRunner runner;
    private byte[] inputs;

    @Setup(Level.Trial)
    public void setUp() {
        BenchModel m = BenchModel.of("digits-mlp");
        runner = new WasmRunner(wasm(m, impl));
        inputs = m.batchBytes(batch);
        try (WasmRunner reference = new WasmRunner(m.wasm(true))) {
            if (!Arrays.equals(reference.logits(batch, inputs), runner.logits(batch, inputs))) {
                throw new IllegalStateException(impl + " gives other logits than the ABI v1 module");
            }
        }
    }

    static byte[] wasm(BenchModel m, String impl) {
        return switch (impl) {
            case "v1-simd128" -> m.wasm(true);
            case "v1-scalar" -> m.wasm(false);
            case "tvm-standalone" -> TvmModule.attach(resource("samples/digits-mlp/tvm-standalone.wasm"),
                    new String(resource("samples/digits-mlp/tvm-standalone.wasm.tvm.txt"), StandardCharsets.UTF_8));
            default -> throw new IllegalArgumentException("unknown implementation " + impl);
        };
    }

    private static byte[] resource(String path) {
        try (InputStream in = TvmStandaloneBench.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("no resource " + path);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
