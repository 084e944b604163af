package io.wasminference.bench.flink;

import io.wasminference.bench.BenchModel;
import io.wasminference.bench.Results;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Operator level: records/s of the inference operator in a local MiniCluster (this JVM), for batch sizes and
 * parallelisms, against the identity pipeline. Each run is a bounded job of {@code --records} records; the first
 * 20% are not timed (job start-up, JIT, instance creation). Appends to {@code --out} (CSV):
 * model,pipeline,parallelism,batch,effective_batch,records,repeat,records_per_s
 *
 * <pre>OperatorBench --models digits-mlp,fashion-lenet5 --batches 1,64 --parallelism 1,2 --repeats 1 --out F</pre>
 */
public final class OperatorBench {
    private OperatorBench() {}

    public static void main(String[] args) throws Exception {
        String[] models = Results.arg(args, "models", "digits-mlp,fashion-lenet5").split(",");
        int[] batches = Results.ints(Results.arg(args, "batches", "1,8,32,64,128,256"));
        int[] parallelisms = Results.ints(Results.arg(args, "parallelism", "1,2"));
        int repeats = Integer.parseInt(Results.arg(args, "repeats", "1"));
        double scale = Double.parseDouble(Results.arg(args, "scale", "1"));
        Path out = Path.of(Results.arg(args, "out", "target/bench-results/operator.csv"));
        String header = "model,pipeline,parallelism,batch,effective_batch,records,repeat,records_per_s";
        for (int r = 0; r < repeats; r++) {
            for (String id : models) {
                BenchModel model = BenchModel.of(id);
                // about 3-6 s per run at the expected rates
                long base = (long) ((model == BenchModel.DIGITS_MLP ? 400_000 : 60_000) * scale);
                for (int p : parallelisms) {
                    double rate = run(model, "identity", p, 0, base * 4);
                    Results.append(out, header, id, "identity", p, 0, 0, base * 4, r, rate);
                    for (int b : batches) {
                        long records = b == 1 ? base / 4 : base;
                        rate = run(model, "wasm", p, b, records);
                        Results.append(out, header, id, "wasm", p, b, Math.min(b, 128), records, r, rate);
                    }
                }
            }
        }
        System.out.println("operator benchmark done: " + Arrays.toString(models));
    }

    /** Runs one bounded job and returns its records/s over the timed window. */
    public static double run(BenchModel model, String pipeline, int parallelism, int batch, long records) throws Exception {
        Configuration conf = new Configuration();
        // -Dbench.objectReuse=true: Flink hands records between chained operators without copying them
        conf.set(org.apache.flink.configuration.PipelineOptions.OBJECT_REUSE, Boolean.getBoolean("bench.objectReuse"));
        conf.set(TaskManagerOptions.NUM_TASK_SLOTS, parallelism);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
        Pipelines.reset(records, records / 5);
        if (pipeline.equals("identity")) {
            Pipelines.identity(env, model, records);
        } else {
            Pipelines.inference(env, model, records, batch);
        }
        env.execute("bench " + model.id() + " " + pipeline + " p" + parallelism + " b" + batch);
        if (Pipelines.SEEN.get() != records) {
            throw new IllegalStateException("expected " + records + " records at the sink, saw " + Pipelines.SEEN.get());
        }
        return Pipelines.recordsPerSecond();
    }
}
