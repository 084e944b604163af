package io.wasminference.bench;

import io.wasminference.bench.kernel.KernelBench;
import io.wasminference.bench.kernel.Runner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Smoke test that the benchmarks are wired (they run only through bench/run.sh): JMH found the benchmark, every
 * kernel implementation runs the same samples to the same logits, and the report renders tables and charts.
 */
class BenchWiringTest {
    @Test
    void jmhRegisteredTheKernelBenchmark() throws Exception {
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("META-INF/BenchmarkList")) {
            assertThat(in).as("JMH annotation processor output").isNotNull();
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).contains("io.wasminference.bench.kernel.KernelBench", "runBatch");
        }
    }

    @Test
    void everyImplementationGivesTheSameLogits() {
        for (BenchModel m : BenchModel.values()) {
            byte[] inputs = m.batchBytes(3);
            byte[] reference;
            try (Runner wasm = KernelBench.open(m, "wasm-simd128")) {
                reference = wasm.logits(3, inputs);
            }
            assertThat(reference).hasSize(3 * BenchModel.OUTPUT_BYTES);
            for (String impl : new String[] {"wasm-scalar", "onnxruntime"}) {
                try (Runner r = KernelBench.open(m, impl)) {
                    byte[] logits = r.logits(3, inputs);
                    assertThat(Prepare.maxDiff(reference, logits)).as(m.id() + " " + impl).isLessThan(1e-4);
                    if (impl.equals("wasm-scalar")) {
                        assertThat(logits).as("SIMD128 and scalar builds are bit-identical").isEqualTo(reference);
                    }
                }
            }
        }
    }

    @Test
    void reportRendersTablesAndCharts(@TempDir Path dir) throws Exception {
        Path results = Files.createDirectories(dir.resolve("results"));
        Files.writeString(results.resolve("env.txt"), "profile=test\ncommand=none\n");
        StringBuilder nat = new StringBuilder();
        for (String m : Report.MODELS) {
            for (int b : new int[] {1, 64, 128}) {
                // LABEL(model,variant,round),BATCH,median_ns,min_ns,max_ns,rounds: the report takes min_ns
                nat.append(m).append(",native-sse2,1,").append(b).append(",").append(b * 2e6).append(",")
                        .append(b * 1e6).append(",1,1\n");
                nat.append(m).append(",native-march,1,").append(b).append(",").append(b * 2e6).append(",")
                        .append(b * 0.8e6).append(",1,1\n");
            }
        }
        Files.writeString(results.resolve("native.csv"), nat);
        Files.writeString(results.resolve("kernel-1.json"), "[{\"params\":{\"model\":\"fashion-lenet5\","
                // slow iterations: the table takes the fastest (80000), not JMH's mean score
                + "\"impl\":\"wasm-simd128\",\"batch\":\"64\"},\"primaryMetric\":{\"score\":220333.3,"
                + "\"rawData\":[[81000.0,80000.0,500000.0]]}},"
                + "{\"params\":{\"model\":\"fashion-lenet5\",\"impl\":\"onnxruntime\",\"batch\":\"64\"},"
                + "\"primaryMetric\":{\"score\":30000.0,\"rawData\":[[30000.0]]}}]");
        Files.writeString(results.resolve("operator.csv"),
                "model,pipeline,parallelism,batch,effective_batch,records,repeat,records_per_s\n"
                        + "fashion-lenet5,identity,1,0,0,1000,0,100000\nfashion-lenet5,wasm,1,64,64,1000,0,700\n");
        String drainHeader = "model,pipeline,input,output,delivery,round,small,large,runtime_small_s,runtime_large_s,"
                + "wall_small_s,wall_large_s,records_per_s,job_cpu_us,broker_cpu_us\n";
        Files.writeString(results.resolve("drain.csv"), drainHeader
                + "digits-mlp,identity,binary,bytes,at-least-once,0,200000,1000000,2,10,8,16,100000,5,3\n"
                + "digits-mlp,identity,binary,bytes,at-least-once,1,200000,1000000,2,12,8,18,80000,5,3\n"
                + "digits-mlp,decode-encode,binary,json,at-least-once,0,200000,1000000,2,14,8,20,66000,7,3\n"
                + "digits-mlp,decode-encode,binary,binary,at-least-once,0,200000,1000000,2,11,8,17,90000,6,3\n"
                + "digits-mlp,job,binary,binary,at-least-once,0,200000,1000000,2,11,8,17,85000,9,3\n"
                + "digits-mlp,job,binary,json,at-least-once,0,200000,1000000,2,18,8,24,50000,11,3\n"
                + "digits-mlp,job,binary,binary,exactly-once,0,200000,1000000,2,12,8,18,80000,10,4\n");
        Files.writeString(results.resolve("e2e.csv"), "model,phase,offered_per_s,records,records_per_s,p50_ms,"
                + "p99_ms,p999_ms,queue_p50_ms,queue_p99_ms,operator_p99_ms,kafka_p50_ms,kafka_p99_ms,batch,"
                + "parallelism,delivery,profile\n"
                + "digits-mlp,paced 50%,20000,200000,19990,3.1,5.0,9.5,0.8,2.1,2.4,2.2,3.0,64,2,at-least-once,latency\n");
        Path docs = dir.resolve("docs");
        new Report(results, docs).write();
        String md = Files.readString(docs.resolve("benchmarks.md"));
        assertThat(md).contains("## Targets", "| fashion-lenet5 | 1 | 64 | 700 |", "**missed**", "0.80x");
        // the drain table takes each variant's best round and relates it to the identity job
        assertThat(md).contains("| digits-mlp | job | binary | binary | at-least-once | 1,000,000 | 85,000 | 85% | 9.00 | 3.00 | 5.65 |",
                "Kafka job ≥ 80% of the identity job's records/s, digits-mlp, binary input and predictions, "
                        + "at-least-once | 85% (85,000 vs 100,000) | met",
                "the same with JSON predictions (the default format) | 50% | **missed**",
                "within 10% of at-least-once, digits-mlp | 94% (80,000 vs 85,000) | met",
                "inference (operator and wasm: job - decode-encode, same predictions) 3.00 µs with binary "
                        + "predictions, 4.00 µs with JSON; JSON instead of binary predictions (decode-encode) 1.00 µs more "
                        + "in the job's JVM and 0.00 µs more in the broker's");
        assertThat(md).contains("| digits-mlp | latency | at-least-once | paced 50% | 20000 | 19,990 | 3.10 | 5.00 | "
                + "9.50 |", "p99 ≤ max batch delay (2 ms) + 5 ms at 50% of saturation, digits-mlp | 5.00 ms");
        assertThat(docs.resolve("benchmarks/kernel-fashion-lenet5.png")).isNotEmptyFile();
        assertThat(docs.resolve("benchmarks/operator.png")).isNotEmptyFile();
    }
}
