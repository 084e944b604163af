package io.wasminference.runtime;

import io.wasminference.format.Sample;
import io.wasminference.tensor.Tensor;
import io.wasminference.testutils.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(300)
class IsolationAndLeakTest {
    private static final String MODEL = "fashion-lenet5";

    @Test
    void nInstancesOnNThreadsAgreeWithASingleInstance() throws Exception {
        int threads = 4;
        try (WasmModel model = WasmModel.load(Fixtures.sample(MODEL, "model.wasm"), SandboxLimits.defaults())) {
            List<Sample> test = Fixtures.testSet(MODEL, model.metadata()).subList(0, 256);
            List<Tensor> expected = new ArrayList<>();
            try (ModelInstance single = model.newInstance()) {
                for (Sample s : test) {
                    expected.add(single.run(SampleModelsTest.batchOf(model.metadata(), List.of(s))).get(0));
                }
            }
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<List<Tensor>>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int offset = t * 7; // different batch boundaries per thread
                    Callable<List<Tensor>> job = () -> {
                        List<Tensor> out = new ArrayList<>();
                        try (ModelInstance instance = model.newInstance()) {
                            for (int round = 0; round < 3; round++) {
                                out.clear();
                                int batch = 8 + offset;
                                for (int from = 0; from < test.size(); from += batch) {
                                    List<Sample> chunk = test.subList(from, Math.min(test.size(), from + batch));
                                    Tensor scores = instance.run(SampleModelsTest.batchOf(model.metadata(), chunk))
                                            .get(0);
                                    for (int i = 0; i < chunk.size(); i++) {
                                        out.add(scores.sample(i));
                                    }
                                }
                            }
                        }
                        return out;
                    };
                    results.add(pool.submit(job));
                }
                for (Future<List<Tensor>> f : results) {
                    List<Tensor> got = f.get();
                    assertThat(got).hasSize(expected.size());
                    for (int i = 0; i < got.size(); i++) {
                        // Bit-identical: batching must not change a sample's result.
                        assertThat(got.get(i).toFloats()).containsExactly(expected.get(i).sample(0).toFloats());
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * Every load/run/close cycle creates and disposes a store, a 64 KiB-page memory with the model's weights and a
     * compiled module; a leak of any of them grows RSS by hundreds of MiB over this loop.
     */
    @Test
    void aLongLoadRunCloseLoopKeepsResidentMemoryFlat() throws Exception {
        byte[] wasm = Fixtures.sample(MODEL, "model.wasm");
        Tensor input;
        try (WasmModel model = WasmModel.load(wasm, SandboxLimits.defaults())) {
            input = SampleModelsTest.batchOf(model.metadata(),
                    Fixtures.testSet(MODEL, model.metadata()).subList(0, 16)).get(0);
        }
        cycles(wasm, input, 300, 50); // warm up allocators and JIT
        System.gc();
        long before = rssKiB();
        cycles(wasm, input, 3000, 50);
        System.gc();
        long after = rssKiB();
        long growthMiB = (after - before) >> 10;
        assertThat(growthMiB).as("RSS grew from %d KiB to %d KiB", before, after).isLessThan(48);
    }

    private static void cycles(byte[] wasm, Tensor input, int instances, int perModel) {
        for (int i = 0; i < instances; i += perModel) {
            // Recompiles every perModel instances: the cache drops the module when its last user closes.
            try (WasmModel model = WasmModel.load(wasm, SandboxLimits.defaults())) {
                for (int j = 0; j < perModel; j++) {
                    try (ModelInstance instance = model.newInstance()) {
                        assertThat(instance.run(List.of(input)).get(0).dim(0)).isEqualTo(16);
                    }
                }
            }
        }
    }

    private static long rssKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
