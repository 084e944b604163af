package io.wasminference.runtime;

import io.wasminference.abi.MemoryPlan;
import io.wasminference.abi.WasmBinary;
import io.wasminference.errors.ErrorKind;
import io.wasminference.errors.ModelRefusedException;
import io.wasminference.errors.WasmInferenceException;
import io.wasminference.tensor.Tensor;
import io.wasminference.testutils.Fixtures;
import io.wasminference.tvm.TvmModule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The seed-style fixtures of samples/hostile/tvm_*.wat through the tvm-standalone adapter. Those that misbehave
 * in {@code run} do so from their second call: the first is the adapter's warm-up at start-up.
 */
@Timeout(60)
class TvmHostileModuleTest {
    static final String SIDECAR = """
            abi: tvm-standalone
            name: fixture
            version: 1
            max_batch: 8
            input: x f32 4
            output: y f32 4
            """;
    private static final SandboxLimits LIMITS = SandboxLimits.defaults()
            .withCallTimeout(Duration.ofMillis(300))
            .withStartupTimeout(Duration.ofSeconds(2))
            .withMemoryLimitBytes(4L << 20);
    private static final Tensor TWO = Tensor.ofFloats(new int[] {2, 4}, 1, 2, 3, 4, -5, 6.5f, 7, 8e9f);

    static byte[] fixture(String name) {
        return TvmModule.attach(Fixtures.wasm(name), SIDECAR);
    }

    @Test
    void identityRunsBatchesOneSampleAtATime() {
        try (WasmModel model = WasmModel.load(fixture("tvm_identity"), LIMITS);
                ModelInstance instance = model.newInstance()) {
            for (int round = 0; round < 3; round++) {
                assertThat(instance.run(List.of(TWO)).get(0).toFloats()).containsExactly(TWO.toFloats());
            }
            // One region, grown once: memory does not grow per call as under the seed's host.
            long memory = instance.memoryBytes();
            instance.run(List.of(TWO));
            assertThat(instance.memoryBytes()).isEqualTo(memory);
        }
    }

    @Test
    void anImportOutsideTheFiveIsRefusedByName() {
        assertThatThrownBy(() -> WasmModel.load(fixture("tvm_extra_import"), LIMITS))
                .isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining("wasi_snapshot_preview1.path_open")
                .hasMessageContaining("environ_get, environ_sizes_get, fd_write, proc_exit, random_get");
    }

    @Test
    void withoutItsSidecarASeedModuleIsRefusedAsAbiV1() {
        assertThatThrownBy(() -> WasmModel.load(Fixtures.wasm("tvm_identity"), LIMITS))
                .isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining("no 'wasm-inference.v1' custom section");
    }

    @ParameterizedTest
    @CsvSource({
        "tvm_len_past_memory, PROTOCOL, past the end of its",
        "tvm_not_json,        PROTOCOL, not the seed's tensor JSON",
        "tvm_lying_output,    PROTOCOL, the output's data has 4 bytes, but its shape [1, 4] of FP32 needs 16",
        "tvm_zero,            MODEL_ERROR, tvm_zero: cannot run this",
        "tvm_loop_run,        TIMEOUT, within its 300 ms deadline",
    })
    void aMisbehavingRunMapsOntoAnErrorKindAndTheInstanceIsReplaced(String name, ErrorKind kind, String message) {
        try (WasmModel model = WasmModel.load(fixture(name), LIMITS); ModelInstance instance = model.newInstance()) {
            WasmInferenceException e = catchThrowableOfType(() -> instance.run(List.of(TWO)),
                    WasmInferenceException.class);
            assertThat(e).isNotNull();
            assertThat(e.kind()).isEqualTo(kind);
            assertThat(e).hasMessageContaining(message);
            // The replacement behaves like the original (its own warm-up, then the same failure): no poisoned state.
            WasmInferenceException again = catchThrowableOfType(() -> instance.run(List.of(TWO)),
                    WasmInferenceException.class);
            assertThat(again.kind()).isEqualTo(kind);
            assertThat(instance.restarts()).isEqualTo(1);
        }
    }

    @Test
    void procExitAtStartUpIsATrapThatNamesTheCode() {
        try (WasmModel model = WasmModel.load(fixture("tvm_exit_at_start"), LIMITS)) {
            WasmInferenceException e = catchThrowableOfType(model::newInstance, WasmInferenceException.class);
            assertThat(e.kind()).isEqualTo(ErrorKind.TRAP);
            assertThat(e).hasMessageContaining("proc_exit(3)").hasMessageContaining("start function");
        }
    }

    @Test
    void memoryThatDeclaresNoMaximumStopsAtTheCap() {
        byte[] wasm = fixture("tvm_grow_forever");
        assertThat(WasmBinary.parse(wasm).definedMemories().get(0).max()).isEmpty();
        TvmModule checked = TvmModule.check(wasm, LIMITS.memoryLimitPages(), LIMITS.moduleLimits());
        assertThat(WasmBinary.parse(checked.capped()).definedMemories().get(0).max()).hasValue(64);
        try (WasmModel model = WasmModel.load(wasm, LIMITS); ModelInstance instance = model.newInstance()) {
            WasmInferenceException e = catchThrowableOfType(() -> instance.run(List.of(TWO)),
                    WasmInferenceException.class);
            assertThat(e.kind()).isEqualTo(ErrorKind.OUT_OF_MEMORY);
            assertThat(e).hasMessageContaining("the sandbox's cap of " + MemoryPlan.describePages(64))
                    .hasMessageContaining("Memory when it failed: " + MemoryPlan.describePages(64));
        }
    }

    @Test
    void environmentIsEmptyAndRandomGetIsSeededTheSameInEveryInstance() {
        String sidecar = SIDECAR.replace("output: y f32 4", "output: y i8 16");
        byte[] wasm = TvmModule.attach(Fixtures.wasm("tvm_random_env"), sidecar);
        try (WasmModel model = WasmModel.load(wasm, LIMITS)) {
            byte[] first;
            try (ModelInstance a = model.newInstance()) {
                first = a.run(List.of(TWO)).get(0).toByteArray();
            }
            try (ModelInstance b = model.newInstance()) {
                assertThat(b.run(List.of(TWO)).get(0).toByteArray()).isEqualTo(first);
            }
            // Two samples, two draws: the generator goes on; 32 bytes of a seeded generator are not all equal.
            assertThat(first).hasSize(32);
            assertThat(java.util.Arrays.copyOfRange(first, 0, 16))
                    .isNotEqualTo(java.util.Arrays.copyOfRange(first, 16, 32));
        }
    }
}
