package io.wasminference.bench.flink;

import io.wasminference.bench.BenchModel;
import io.wasminference.bench.Results;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;

import java.nio.file.Path;

/**
 * Issue 13: ML_PREDICT (the wasm provider, asynchronous and batched) over a bounded table against the DataStream
 * operator, same records (the model's test samples in a cycle, from the same sequence source), same batch size and
 * parallelism, in a local MiniCluster; runs alternate so a slow phase of the machine hits both.
 *
 * <pre>java io.wasminference.bench.flink.SqlBench [--models digits-mlp,fashion-lenet5] [--batch 64]
 *     [--parallelism 2] [--repeats 3] [--out sql.csv]</pre>
 */
public final class SqlBench {
    private SqlBench() {}

    public static void main(String[] args) throws Exception {
        String[] models = Results.arg(args, "models", "digits-mlp,fashion-lenet5").split(",");
        int batch = Integer.parseInt(Results.arg(args, "batch", "64"));
        int p = Integer.parseInt(Results.arg(args, "parallelism", "2"));
        int repeats = Integer.parseInt(Results.arg(args, "repeats", "3"));
        double scale = Double.parseDouble(Results.arg(args, "scale", "1"));
        Path out = Path.of(Results.arg(args, "out", "target/bench-results/sql.csv"));
        String header = "model,pipeline,parallelism,batch,records,repeat,records_per_s";
        for (int r = 0; r < repeats; r++) {
            for (String id : models) {
                BenchModel model = BenchModel.of(id);
                // Long enough that planning, code generation and JIT (seconds of CPU on 2 cores) do not decide the result.
                long records = (long) ((model == BenchModel.DIGITS_MLP ? 2_000_000 : 200_000) * scale);
                double op = OperatorBench.run(model, "wasm", p, batch, records);
                Results.append(out, header, id, "operator", p, batch, records, r, op);
                double sql = sql(model, p, batch, records);
                Results.append(out, header, id, "ml_predict", p, batch, records, r, sql);
            }
        }
    }

    static double sql(BenchModel model, int parallelism, int batch, long records) throws Exception {
        Configuration conf = new Configuration();
        // -Dbench.objectReuse=true: Flink hands records between chained operators without copying them
        conf.set(org.apache.flink.configuration.PipelineOptions.OBJECT_REUSE, Boolean.getBoolean("bench.objectReuse"));
        conf.set(TaskManagerOptions.NUM_TASK_SLOTS, parallelism);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
        StreamTableEnvironment t = StreamTableEnvironment.create(env);
        // BYTES: the sample's raw little-endian bytes, as the operator's binary records carry them
        String column = "BYTES";
        TypeInformation<Row> type = Types.ROW_NAMED(new String[] {"id", "x"}, Types.STRING,
                Types.PRIMITIVE_ARRAY(Types.BYTE));
        Table requests = t.fromDataStream(env.fromSequence(0, records - 1).map(new ToRow(model)).returns(type));
        t.createTemporaryView("requests", requests);
        t.executeSql("CREATE TEMPORARY MODEL m INPUT (x " + column + ") OUTPUT (label INT, score FLOAT) WITH ("
                + "'provider' = 'wasm', 'uri' = 'classpath:samples/" + model.id() + "/model.wasm', 'batch-size' = '"
                + batch + "', 'max-delay' = '10 ms')");
        Table predicted = t.sqlQuery("SELECT id, label FROM ML_PREDICT(TABLE requests, MODEL m, DESCRIPTOR(x), "
                + "MAP['async', 'true', 'max-concurrent-operations', '" + (2 * batch) + "', 'output-mode', "
                + "'ALLOW_UNORDERED'])");
        Pipelines.reset(records, records / 5);
        t.toDataStream(predicted).sinkTo(new Pipelines.CountingSink<>()).name("count");
        env.execute("sql " + model.id() + " p" + parallelism + " b" + batch);
        if (Pipelines.SEEN.get() != records) {
            throw new IllegalStateException("expected " + records + " rows at the sink, saw " + Pipelines.SEEN.get());
        }
        return Pipelines.recordsPerSecond();
    }

    static final class ToRow implements MapFunction<Long, Row> {
        private static final long serialVersionUID = 1L;
        private final BenchModel model;

        ToRow(BenchModel model) {
            this.model = model;
        }

        @Override
        public Row map(Long i) {
            return Row.of("r" + i, model.sample((int) (i % BenchModel.SAMPLES)));
        }
    }
}
