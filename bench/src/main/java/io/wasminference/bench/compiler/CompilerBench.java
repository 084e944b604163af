package io.wasminference.bench.compiler;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.wasminference.abi.DType;
import io.wasminference.bench.Repo;
import io.wasminference.compiler.CompileArgs;
import io.wasminference.compiler.CompileOptions;
import io.wasminference.compiler.CompiledModel;
import io.wasminference.compiler.OnnxCompiler;
import io.wasminference.runtime.ModelInstance;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.runtime.WasmModel;
import io.wasminference.tensor.Tensor;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryType;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The ONNX compiler's benchmarks (issue 11): time per batch of compiled modules against the hand-written C module
 * (fashion-lenet5, batch 1 and 64) and against ONNX Runtime with one thread (paddle-cls, batch 1 and 16), and
 * compile time and peak heap per model. Implementations alternate within every repeat (a slow phase of this
 * shared machine hits them alike); each row takes the fastest call of its best repeat, as the kernel tables do.
 *
 * <pre>java io.wasminference.bench.compiler.CompilerBench [--repeats 10] [--millis 300] --out compiler.csv</pre>
 */
public final class CompilerBench {
    private CompilerBench() {}

    /** One implementation's call on one batch. */
    interface Call {
        void run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        int repeats = 10;
        int millis = 300;
        Path out = Path.of("compiler.csv");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--repeats" -> repeats = Integer.parseInt(args[++i]);
                case "--millis" -> millis = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        List<String> rows = new ArrayList<>();
        rows.add("kind,model,impl,batch,value");
        Path models = Repo.root().resolve("samples/models");
        compileRows(rows, models);
        lenet(rows, models, repeats, millis);
        paddle(rows, models, repeats, millis);
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out))) {
            rows.forEach(w::println);
        }
        rows.forEach(System.out::println);
    }

    static CompileOptions options(Path onnx) throws Exception {
        CompileOptions.Builder b = CompileOptions.builder();
        Path sidecar = Path.of(onnx + ".compile");
        if (Files.exists(sidecar)) {
            CompileArgs.apply(CompileArgs.tokenize(Files.readString(sidecar)), b, null);
        }
        return b.build();
    }

    /** Compile time (first in this JVM, then the median of 5) and the peak heap above the live set. */
    static void compileRows(List<String> rows, Path models) throws Exception {
        for (String name : List.of("digits-mlp", "fashion-lenet5", "paddle-cls")) {
            Path onnx = models.resolve(name).resolve("model.onnx");
            byte[] bytes = Files.readAllBytes(onnx);
            CompileOptions o = options(onnx);
            long t0 = System.nanoTime();
            OnnxCompiler.compile(bytes, o);
            rows.add(String.format("compile,%s,first,0,%.1f", name, (System.nanoTime() - t0) / 1e6));
            double[] ms = new double[5];
            long peak = 0;
            long allocated = 0;
            com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            for (int i = 0; i < ms.length; i++) {
                System.gc();
                long base = heapUsed();
                HeapSampler sampler = new HeapSampler();
                sampler.start();
                long a0 = threads.getCurrentThreadAllocatedBytes();
                long s = System.nanoTime();
                OnnxCompiler.compile(bytes, o);
                ms[i] = (System.nanoTime() - s) / 1e6;
                allocated = threads.getCurrentThreadAllocatedBytes() - a0;
                peak = Math.max(peak, sampler.stopAndGetMax() - base);
            }
            Arrays.sort(ms);
            rows.add(String.format("compile,%s,median,0,%.1f", name, ms[ms.length / 2]));
            rows.add(String.format("heap,%s,peak-mib,0,%.1f", name, peak / 1048576.0));
            rows.add(String.format("heap,%s,allocated-mib,0,%.1f", name, allocated / 1048576.0));
            rows.add(String.format("size,%s,onnx-kib,0,%.1f", name, bytes.length / 1024.0));
            rows.add(String.format("size,%s,wasm-kib,0,%.1f", name, OnnxCompiler.compile(bytes, o).wasm().length / 1024.0));
        }
    }

    private static long heapUsed() {
        return ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP)
                .mapToLong(p -> p.getUsage().getUsed()).sum();
    }

    /** Samples the heap in use every millisecond while a compile runs (young-generation growth included). */
    static final class HeapSampler extends Thread {
        private volatile boolean stop;
        private long max;

        HeapSampler() {
            setDaemon(true);
        }

        @Override
        public void run() {
            while (!stop) {
                max = Math.max(max, heapUsed());
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        long stopAndGetMax() throws InterruptedException {
            stop = true;
            join();
            return Math.max(max, heapUsed());
        }
    }

    static void lenet(List<String> rows, Path models, int repeats, int millis) throws Exception {
        Path onnx = models.resolve("fashion-lenet5/model.onnx");
        CompiledModel compiled = OnnxCompiler.compile(Files.readAllBytes(onnx),
                CompileOptions.builder().name("fashion-lenet5").maxBatch(128).build());
        byte[] hand = Files.readAllBytes(Repo.root().resolve("samples/src/main/resources/samples/fashion-lenet5/model.wasm"));
        try (WasmModel c = WasmModel.load(compiled.wasm(), SandboxLimits.defaults());
                ModelInstance ci = c.newInstance();
                WasmModel h = WasmModel.load(hand, SandboxLimits.defaults());
                ModelInstance hi = h.newInstance()) {
            for (int batch : new int[] {1, 64}) {
                Tensor in = Tensor.wrap(DType.U8, new int[] {batch, 28, 28}, pixels(batch * 784));
                double[] best = race(repeats, millis, List.of(() -> ci.run(List.of(in)), () -> hi.run(List.of(in))));
                rows.add(String.format("time,fashion-lenet5,compiled,%d,%.1f", batch, best[0]));
                rows.add(String.format("time,fashion-lenet5,hand-written,%d,%.1f", batch, best[1]));
            }
        }
    }

    static void paddle(List<String> rows, Path models, int repeats, int millis) throws Exception {
        Path onnx = models.resolve("paddle-cls/model.onnx");
        byte[] bytes = Files.readAllBytes(onnx);
        CompiledModel compiled = OnnxCompiler.compile(bytes, options(onnx));
        String module = System.getProperty("bench.compiled.out");
        if (module != null) { // for bench/native/graph_harness.c: the same plan and kernels, natively
            Files.write(Path.of(module), compiled.wasm());
        }
        float[] scale = options(onnx).inputs().get("x").scale();
        float[] shift = options(onnx).inputs().get("x").shift();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        int per = 3 * 48 * 192;
        try (WasmModel c = WasmModel.load(compiled.wasm(), SandboxLimits.defaults());
                ModelInstance ci = c.newInstance();
                OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(1);
            so.setInterOpNumThreads(1);
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            try (OrtSession ort = env.createSession(bytes, so)) {
                for (int batch : new int[] {1, 16}) {
                    byte[] raw = pixels(batch * per);
                    Tensor in = Tensor.wrap(DType.U8, new int[] {batch, 3, 48, 192}, raw);
                    float[] x = new float[raw.length];
                    for (int i = 0; i < x.length; i++) {
                        int ch = (i / (48 * 192)) % 3;
                        x[i] = (raw[i] & 0xFF) * scale[ch] + shift[ch];
                    }
                    Supplier<Call> ortCall = () -> () -> {
                        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x),
                                new long[] {batch, 3, 48, 192}); OrtSession.Result r = ort.run(Map.of("x", t))) {
                            r.get(0);
                        }
                    };
                    double[] best = race(repeats, millis, List.of(() -> ci.run(List.of(in)), ortCall.get()));
                    rows.add(String.format("time,paddle-cls,compiled,%d,%.1f", batch, best[0]));
                    rows.add(String.format("time,paddle-cls,onnxruntime,%d,%.1f", batch, best[1]));
                }
            }
        }
    }

    /** Fastest call (µs) of each implementation over {@code repeats} rounds of {@code millis} each, interleaved. */
    static double[] race(int repeats, int millis, List<Call> calls) throws Exception {
        double[] best = new double[calls.size()];
        Arrays.fill(best, Double.MAX_VALUE);
        for (int r = 0; r < repeats + 1; r++) { // round 0 warms up
            for (int k = 0; k < calls.size(); k++) {
                long end = System.nanoTime() + millis * 1_000_000L;
                while (System.nanoTime() < end) {
                    long s = System.nanoTime();
                    calls.get(k).run();
                    double us = (System.nanoTime() - s) / 1e3;
                    if (r > 0) {
                        best[k] = Math.min(best[k], us);
                    }
                }
            }
        }
        return best;
    }

    /** Deterministic pixel values (a fixed pattern; timing does not depend on the values). */
    static byte[] pixels(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ((i * 2654435761L) >>> 24);
        }
        return b;
    }
}
