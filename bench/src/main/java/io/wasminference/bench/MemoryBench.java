package io.wasminference.bench;

import io.wasminference.bench.flink.OperatorBench;
import io.wasminference.runtime.ModelInstance;
import io.wasminference.runtime.SandboxLimits;
import io.wasminference.runtime.WasmModel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Native memory, as resident-set deltas of this JVM (bench/run.sh starts it with -Xms = -Xmx and
 * -XX:+AlwaysPreTouch, so heap growth does not show up as RSS growth).
 *
 * <ul>
 *   <li>{@code instances}: RSS after compiling the model, then after creating {@code --count} instances and
 *   running one batch of 128 through each; per instance = delta / count.</li>
 *   <li>{@code taskmanager}: a MiniCluster with N slots runs the identity pipeline, then the inference pipeline
 *   (parallelism N, so N instances); the RSS high-water mark of each is sampled every 50 ms; per TaskManager =
 *   inference - identity.</li>
 * </ul>
 * Appends: kind,model,n,baseline_mib,after_mib,delta_mib,per_unit_mib
 */
public final class MemoryBench {
    private MemoryBench() {}

    static final String HEADER = "kind,model,n,baseline_mib,after_mib,delta_mib,per_unit_mib";

    public static void main(String[] args) throws Exception {
        String kind = args[0];
        Path out = Path.of(Results.arg(args, "out", "target/bench-results/memory.csv"));
        if (kind.equals("instances")) {
            int count = Integer.parseInt(Results.arg(args, "count", "16"));
            for (String id : Results.arg(args, "models", "digits-mlp,fashion-lenet5").split(",")) {
                instances(BenchModel.of(id), count, out);
            }
        } else {
            BenchModel model = BenchModel.of(Results.arg(args, "model", "fashion-lenet5"));
            int slots = Integer.parseInt(Results.arg(args, "slots", "2"));
            taskManager(model, slots, out);
        }
        System.exit(0);
    }

    static void instances(BenchModel m, int count, Path out) {
        byte[] inputs = m.batchBytes(BenchModel.SAMPLES);
        long before = settledRss();
        try (WasmModel model = WasmModel.load(m.wasm(true), SandboxLimits.defaults())) {
            long compiled = settledRss();
            Results.append(out, HEADER, "compiled-module", m.id(), 1, mib(before), mib(compiled),
                    mib(compiled - before), mib(compiled - before));
            List<ModelInstance> list = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                ModelInstance inst = model.newInstance();
                inst.run(BenchModel.SAMPLES, (idx, spec, target) -> target.put(inputs));
                list.add(inst);
            }
            long after = settledRss();
            Results.append(out, HEADER, "instance", m.id(), count, mib(compiled), mib(after), mib(after - compiled),
                    mib(after - compiled) / count);
            list.forEach(ModelInstance::close);
        }
    }

    static void taskManager(BenchModel model, int slots, Path out) throws Exception {
        long records = model == BenchModel.DIGITS_MLP ? 300_000 : 40_000;
        long identity = peakDuring(() -> OperatorBench.run(model, "identity", slots, 0, records * 4));
        long inference = peakDuring(() -> OperatorBench.run(model, "wasm", slots, 64, records));
        Results.append(out, HEADER, "taskmanager", model.id(), slots, mib(identity), mib(inference),
                mib(inference - identity), mib(inference - identity) / slots);
    }

    interface Job {
        double run() throws Exception;
    }

    static long peakDuring(Job job) throws Exception {
        AtomicLong peak = new AtomicLong(Results.rssBytes());
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peak.accumulateAndGet(Results.rssBytes(), Math::max);
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "rss-sampler");
        sampler.setDaemon(true);
        sampler.start();
        job.run();
        sampler.interrupt();
        sampler.join();
        return Math.max(peak.get(), Results.rssBytes());
    }

    static long settledRss() {
        System.gc();
        try {
            Thread.sleep(300);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Results.rssBytes();
    }

    static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }
}
