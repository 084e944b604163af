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
        Path docs = dir.resolve("docs");
        new Report(results, docs).write();
        String md = Files.readString(docs.resolve("benchmarks.md"));
        assertThat(md).contains("## Targets", "| fashion-lenet5 | 1 | 64 | 700 |", "**missed**", "0.80x");
        assertThat(docs.resolve("benchmarks/kernel-fashion-lenet5.png")).isNotEmptyFile();
        assertThat(docs.resolve("benchmarks/operator.png")).isNotEmptyFile();
    }
}
