package io.wasminference.bench.kernel;

import io.github.kawamuray.wasmtime.Config;
import io.github.kawamuray.wasmtime.Engine;
import io.github.kawamuray.wasmtime.Extern;
import io.github.kawamuray.wasmtime.Func;
import io.github.kawamuray.wasmtime.Instance;
import io.github.kawamuray.wasmtime.Memory;
import io.github.kawamuray.wasmtime.MemoryType;
import io.github.kawamuray.wasmtime.Module;
import io.github.kawamuray.wasmtime.ProfilingStrategy;
import io.github.kawamuray.wasmtime.Store;
import io.wasminference.abi.ControlBlock;
import io.wasminference.bench.BenchModel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code wi_run} of a sample model straight through wasmtime-java, without the runtime around it: for profiling the
 * compiled code ({@code --jitdump} writes Wasmtime's jitdump for {@code perf inject --jit}) and for experiments
 * on the engine (epoch interruption on or off, a thread advancing the epoch every {@code --ticker-ms}). Prints
 * the best of 15 rounds of the mean time per call.
 *
 * <pre>RawCallTimer MODEL FILE.wasm BATCH ITERATIONS [--no-epoch] [--ticker-ms N] [--jitdump]</pre>
 */
public final class RawCallTimer {
    private RawCallTimer() {}

    public static void main(String[] args) throws Exception {
        BenchModel model = BenchModel.of(args[0]);
        byte[] wasm = Files.readAllBytes(Path.of(args[1]));
        int batch = Integer.parseInt(args[2]);
        int iterations = Integer.parseInt(args[3]);
        List<String> options = List.of(args).subList(4, args.length);
        boolean epoch = !options.contains("--no-epoch");
        int tick = options.contains("--ticker-ms")
                ? Integer.parseInt(options.get(options.indexOf("--ticker-ms") + 1)) : 0;
        Config config = new Config().epochInterruption(epoch).wasmSimd(true).wasmBulkMemory(true);
        if (options.contains("--jitdump")) {
            config.profiler(ProfilingStrategy.JIT_DUMP);
        }
        Engine engine = new Engine(config);
        Module module = new Module(engine, wasm);
        Store<Void> store = new Store<>(null, engine);
        Memory memory = new Memory(store, new MemoryType(32, 4096, false));
        Instance instance = new Instance(store, module, List.of(Extern.fromMemory(memory)));
        Func control = instance.getFunc(store, ControlBlock.EXPORT_CONTROL).orElseThrow();
        Func run = instance.getFunc(store, ControlBlock.EXPORT_RUN).orElseThrow();
        Thread ticker = tick > 0 ? startTicker(engine, tick) : null;
        try {
            double best = bestMicros(store, memory, control, run, model.batchBytes(batch), batch, iterations, epoch);
            System.out.printf(Locale.ROOT, "%s batch %d epoch %s ticker %s: best %.1f us per wi_run%n", model.id(),
                    batch, epoch ? "on" : "off", tick > 0 ? tick + " ms" : "none", best);
        } finally {
            // The ticker stops before the engine it advances is disposed; then handles before their store.
            if (ticker != null) {
                ticker.interrupt();
                ticker.join();
            }
            run.dispose();
            control.dispose();
            instance.dispose();
            memory.dispose();
            store.dispose();
            module.dispose();
            engine.dispose();
        }
    }

    private static Thread startTicker(Engine engine, int tickMillis) {
        Thread ticker = new Thread(() -> {
            while (true) {
                try {
                    Thread.sleep(tickMillis);
                } catch (InterruptedException e) {
                    return;
                }
                engine.incrementEpoch();
            }
        }, "ticker");
        ticker.setDaemon(true);
        ticker.start();
        return ticker;
    }

    /** Best of 15 rounds of the mean time per {@code wi_run}, the inputs written once. */
    private static double bestMicros(Store<Void> store, Memory memory, Func control, Func run, byte[] inputs,
            int batch, int iterations, boolean epoch) {
        long deadline = 1L << 40; // never reached: the check runs, the interrupt does not
        if (epoch) {
            store.setEpochDeadline(deadline);
        }
        int cb = control.call(store)[0].i32();
        ByteBuffer mem = memory.buffer(store).order(ByteOrder.LITTLE_ENDIAN);
        int inputSlot = cb + ControlBlock.slotOffset(0);
        mem.put(mem.getInt(inputSlot + ControlBlock.SLOT_PTR), inputs);
        mem.putInt(inputSlot + ControlBlock.SLOT_LENGTH, inputs.length);
        mem.putInt(cb + ControlBlock.OFF_BATCH, batch);
        double best = Double.MAX_VALUE;
        for (int round = 0; round < 15; round++) {
            long start = System.nanoTime();
            for (int i = 0; i < iterations; i++) {
                if (epoch) {
                    store.setEpochDeadline(deadline);
                }
                int status = run.call(store)[0].i32();
                if (status != 0) {
                    throw new IllegalStateException("wi_run returned status " + status);
                }
            }
            best = Math.min(best, (System.nanoTime() - start) / 1e3 / iterations);
        }
        return best;
    }
}
