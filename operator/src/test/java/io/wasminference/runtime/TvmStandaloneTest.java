package io.wasminference.runtime;

import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.ModuleKind;
import io.wasminference.format.Sample;
import io.wasminference.tensor.Tensor;
import io.wasminference.testutils.Fixtures;
import io.wasminference.tvm.TvmModule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The seed-style digits-mlp (samples/tvm/digits_mlp.rs) through the tvm-standalone adapter. */
@Timeout(120)
class TvmStandaloneTest {

    static byte[] seedDigits() {
        return TvmModule.attach(Fixtures.sample("digits-mlp", "tvm-standalone.wasm"),
                new String(Fixtures.sample("digits-mlp", "tvm-standalone.wasm.tvm.txt"), StandardCharsets.UTF_8));
    }

    @Test
    void logitsEqualTheAbiV1ModulesBitForBitOnTheWholeTestSet() {
        try (WasmModel v1 = WasmModel.load(Fixtures.sample("digits-mlp", "model.wasm"), SandboxLimits.defaults());
                WasmModel seed = WasmModel.load(seedDigits(), SandboxLimits.defaults());
                ModelInstance a = v1.newInstance();
                ModelInstance b = seed.newInstance()) {
            assertThat(seed.kind()).isEqualTo(ModuleKind.TVM_STANDALONE);
            assertThat(v1.kind()).isEqualTo(ModuleKind.V1);
            ModelMetadata meta = seed.metadata();
            assertThat(meta.id()).isEqualTo("digits-mlp:1.0.0");
            assertThat(meta.inputs()).isEqualTo(v1.metadata().inputs());
            assertThat(meta.outputs()).isEqualTo(v1.metadata().outputs());
            assertThat(meta.labels()).isEqualTo(v1.metadata().labels());
            List<Sample> test = Fixtures.testSet("digits-mlp", meta);
            assertThat(test).hasSize(360);
            int batch = 64;
            for (int from = 0; from < test.size(); from += batch) {
                List<Map<String, Tensor>> chunk = test.subList(from, Math.min(test.size(), from + batch)).stream()
                        .map(Sample::inputs).toList();
                Tensor expected = a.run(chunk.size(), new SamplesWriter(chunk)).get(0);
                Tensor actual = b.run(chunk.size(), new SamplesWriter(chunk)).get(0);
                assertThat(actual.shape()).isEqualTo(expected.shape());
                float[] e = expected.toFloats();
                float[] g = actual.toFloats();
                for (int i = 0; i < e.length; i++) {
                    assertThat(Float.floatToRawIntBits(g[i])).as("logit %d of sample %d: %s vs %s", i % 10,
                            from + i / 10, g[i], e[i]).isEqualTo(Float.floatToRawIntBits(e[i]));
                }
            }
            assertThat(b.restarts()).isZero();
        }
    }
}
