package io.wasminference.runtime;

import io.wasminference.abi.ModuleLimits;
import io.wasminference.errors.ErrorKind;
import io.wasminference.errors.ModelOutOfMemoryException;
import io.wasminference.errors.ModelProtocolException;
import io.wasminference.errors.ModelRefusedException;
import io.wasminference.errors.ModelTimeoutException;
import io.wasminference.errors.ModelTrapException;
import io.wasminference.errors.WasmInferenceException;
import io.wasminference.tensor.Tensor;
import io.wasminference.testutils.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Every hostile or broken module of the corpus gets a clear, typed error within its deadline, the JVM lives on,
 * and a good model runs fine right after in the same JVM.
 */
@Timeout(120)
class HostileModuleTest {
    private static final SandboxLimits TIGHT = SandboxLimits.defaults()
            .withCallTimeout(Duration.ofMillis(300))
            .withStartupTimeout(Duration.ofMillis(300))
            .withMemoryLimitBytes(16L << 20);

    private static final Tensor ONE_SAMPLE = Tensor.ofFloats(new int[] {1, 4}, 1, 2, 3, 4);

    @AfterEach
    void aGoodModelStillRuns() {
        try (WasmModel model = WasmModel.load(Fixtures.wasm("identity"), SandboxLimits.defaults());
                ModelInstance instance = model.newInstance()) {
            assertThat(instance.run(List.of(ONE_SAMPLE)).get(0).toFloats()).containsExactly(1, 2, 3, 4);
        }
    }

    @Test
    void anInfiniteLoopInTheEntryPointTimesOutAndTheInstanceIsReplaced() {
        try (WasmModel model = WasmModel.load(Fixtures.wasm("loop_run"), TIGHT);
                ModelInstance instance = model.newInstance()) {
            long start = System.nanoTime();
            ModelTimeoutException e = catchThrowableOfType(ModelTimeoutException.class,
                    () -> instance.run(List.of(ONE_SAMPLE)));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertThat(e.kind()).isEqualTo(ErrorKind.TIMEOUT);
            assertThat(e).hasMessageContaining("within its 300 ms deadline");
            assertThat(millis).isBetween(250L, 5_000L);
            assertThat(instance.memoryBytes()).isZero(); // discarded
            assertThatThrownBy(() -> instance.run(List.of(ONE_SAMPLE))).isInstanceOf(ModelTimeoutException.class);
            assertThat(instance.restarts()).isEqualTo(1);
        }
    }

    @Test
    void theSpinModelShowsAFreshInstanceWorksAfterATimeout() {
        try (WasmModel model = WasmModel.load(Fixtures.wasm("spin"), TIGHT);
                ModelInstance instance = model.newInstance()) {
            assertThatThrownBy(() -> instance.run(List.of(Tensor.ofFloats(new int[] {1, 4}, 1e6f, 0, 0, 0))))
                    .isInstanceOf(ModelTimeoutException.class);
            assertThat(instance.run(List.of(Tensor.ofFloats(new int[] {1, 4}, 0, 7, 8, 9))).get(0).toFloats())
                    .containsExactly(0, 7, 8, 9);
            assertThat(instance.restarts()).isEqualTo(1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"loop_start", "loop_initialize"})
    void anInfiniteLoopDuringStartUpTimesOut(String fixture) {
        try (WasmModel model = WasmModel.load(Fixtures.wasm(fixture), TIGHT)) {
            assertThatThrownBy(model::newInstance)
                    .isInstanceOf(ModelTimeoutException.class)
                    .hasMessageContaining("300 ms deadline");
        }
    }

    @Test
    void anInstantiationTrapWithoutAStartFunctionDoesNotBlameOne() {
        try (WasmModel model = WasmModel.load(Fixtures.wasm("elem_out_of_bounds"), TIGHT)) {
            assertThatThrownBy(model::newInstance)
                    .isInstanceOf(ModelTrapException.class)
                    .hasMessageContaining("during instantiation (data and element segments)")
                    .hasMessageNotContaining("start function");
        }
        try (WasmModel model = WasmModel.load(Fixtures.wasm("loop_start"), TIGHT)) {
            assertThatThrownBy(model::newInstance).hasMessageContaining("instantiation (start function)");
        }
    }

    @Test
    void unboundedMemoryGrowthStopsAtTheCap() {
        try (WasmModel model = WasmModel.load(Fixtures.wasm("grow_forever"), TIGHT);
                ModelInstance instance = model.newInstance()) {
            assertThatThrownBy(() -> instance.run(List.of(ONE_SAMPLE)))
                    .isInstanceOf(ModelOutOfMemoryException.class)
                    .hasMessageContaining("cap of 256 pages (16 MiB)");
        }
    }

    /** A memory that never grew is not out of memory, whatever its maximum (it used to say OUT_OF_MEMORY). */
    @Test
    void aTrapWithAFixedSizeMemoryIsATrapNotOutOfMemory() {
        ModelTrapException e = runExpecting("fixed_memory_trap", ModelTrapException.class);
        assertThat(e.kind()).isEqualTo(ErrorKind.TRAP);
        assertThat(e.trapCode()).isEqualTo("UNREACHABLE_CODE_REACHED");
        assertThat(e).hasMessageNotContaining("cap");
    }

    /** The module's own maximum is named as such, never as the sandbox's cap. */
    @Test
    void aTrapAtTheModulesOwnMaximumNamesThatMaximum() {
        ModelTrapException e = runExpecting("grow_own_max", ModelTrapException.class);
        assertThat(e.kind()).isEqualTo(ErrorKind.TRAP);
        assertThat(e).hasMessageContaining("the module's own declared maximum of 2 pages (128 KiB)")
                .hasMessageNotContaining("sandbox's cap of 2");
    }

    @Test
    void outOfBoundsAccessTraps() {
        ModelTrapException e = runExpecting("oob_access", ModelTrapException.class);
        assertThat(e.trapCode()).isEqualTo("MEMORY_OUT_OF_BOUNDS");
    }

    @Test
    void aRecursionBombOnADefaultSizedThreadTrapsInsteadOfKillingTheJvm() throws Exception {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        // 1 MiB: the JVM's default thread stack, what a Flink task thread gets.
        Thread t = new Thread(null, () -> {
            try {
                runExpecting("recursion_bomb", ModelTrapException.class);
            } catch (Throwable e) {
                thrown.set(e);
            }
        }, "small-stack", 1 << 20);
        t.start();
        t.join();
        assertThat(thrown.get()).isNull();
        ModelTrapException e = runExpecting("recursion_bomb", ModelTrapException.class);
        assertThat(e.kind()).isEqualTo(ErrorKind.STACK_OVERFLOW);
        assertThat(e.trapCode()).isEqualTo("STACK_OVERFLOW");
        assertThat(e).hasMessageContaining("overflowed the wasm stack (256 KiB)");
    }

    /** Status 3 is a failure the module reports within the ABI (docs/abi.md §5), not a protocol violation. */
    @Test
    void statusInternalErrorIsAModelErrorWithTheModulesMessage() {
        WasmInferenceException e = runExpecting("internal_error", WasmInferenceException.class);
        assertThat(e.kind()).isEqualTo(ErrorKind.MODEL_ERROR);
        assertThat(e).hasMessageContaining("reported a failure (status INTERNAL_ERROR): weights checksum mismatch")
                .hasMessageNotContaining("broke ABI");
        WasmInferenceException unreadable = runExpecting("bad_message", WasmInferenceException.class);
        assertThat(unreadable.kind()).isEqualTo(ErrorKind.MODEL_ERROR);
        assertThat(unreadable).hasMessageEndingWith("(status INTERNAL_ERROR). The instance is replaced.");
    }

    /** A failed memory.grow below the cap followed by unreachable says how much memory there was and could be. */
    @Test
    void unreachableAfterARefusedGrowSaysWhatMemoryWasLeft() {
        ModelTrapException e = runExpecting("grow_too_much", ModelTrapException.class);
        assertThat(e.kind()).isEqualTo(ErrorKind.TRAP);
        assertThat(e).hasMessageContaining("Its memory was 1 page (64 KiB) of the 256 pages (16 MiB) it may grow to "
                + "(the sandbox's cap); memory.grow returns -1 for a request larger than what is left");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "invalid_batch     | wi_run returned status 1 (INVALID_BATCH) for a batch of 1, within the 1..8 its metadata accepts",
        "no_output_written | output 'y' has length 0 after wi_run returned OK, expected 16",
        "bad_status        | wi_run returned status 77 (undefined; ABI v1 defines 0 to 3)",
        "moving_pointer    | changed",
    })
    void protocolViolationsAtRunTimeAreReported(String fixture, String message) {
        ModelProtocolException e = runExpecting(fixture, ModelProtocolException.class);
        assertThat(e).hasMessageContaining(message);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "lying_shape         | output 'y' (y f32 1000): its buffer holds 128 bytes but 32000 are needed",
        "lying_batch         | are needed at max_batch 1024",
        "bad_magic           | not the magic 0x31424357",
        "bad_pointer         | lies outside the",
        "bad_counts          | the control block declares",
        "bad_control_address | does not fit in",
    })
    void controlBlocksThatContradictTheMetadataAreRefusedAtInstantiation(String fixture, String message) {
        try (WasmModel model = WasmModel.load(Fixtures.wasm(fixture), TIGHT)) {
            assertThatThrownBy(model::newInstance)
                    .isInstanceOf(ModelRefusedException.class)
                    .hasMessageContaining("violates ABI v1")
                    .hasMessageContaining(message);
        }
    }

    @Test
    void aTrapInOneBatchDoesNotPoisonTheNext() {
        try (WasmModel model = WasmModel.load(Fixtures.wasm("poison"), TIGHT);
                ModelInstance instance = model.newInstance()) {
            assertThatThrownBy(() -> instance.run(List.of(Tensor.ofFloats(new int[] {2, 4}, 5, 5, 5, 5, -1, 0, 0, 0))))
                    .isInstanceOf(ModelTrapException.class)
                    .hasMessageContaining("UNREACHABLE");
            assertThat(instance.run(List.of(Tensor.ofFloats(new int[] {1, 4}, 5, 6, 7, 8))).get(0).toFloats())
                    .containsExactly(5, 6, 7, 8);
            assertThat(instance.restarts()).isEqualTo(1);
        }
    }

    /**
     * Tables are native memory outside the memory cap and wasmtime-java has no store limiter: before the fix
     * {@code table_grow_run} took +520 MB RSS per call under a 1 MiB memory cap and {@code table_grow_start} aborted
     * the JVM during instantiation. Each is refused from its binary, before anything is compiled.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "table_grow_run   | the module's table holds externref",
        "table_grow_start | the module's table holds externref",
        "table_unbounded  | the module's table (funcref, 1 elements) declares no maximum",
        "table_huge       | declares 5000000..5000000 elements, above the sandbox's limit of 65536",
        "table_two        | the module defines 2 tables; ABI v1 allows at most one",
    })
    void tablesWithoutASmallDeclaredMaximumAreRefusedBeforeCompiling(String fixture, String message) {
        int compiledBefore = CompiledModule.cachedCount();
        assertThatThrownBy(() -> WasmModel.load(Fixtures.wasm(fixture), TIGHT))
                .isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining(message);
        assertThat(CompiledModule.cachedCount()).isEqualTo(compiledBefore);
    }

    @Test
    void theTableLimitIsASetting() {
        SandboxLimits none = TIGHT.withModuleLimits(ModuleLimits.defaults().withMaxTableElements(0));
        assertThatThrownBy(() -> WasmModel.load(Fixtures.wasm("indirect_call"), none))
                .isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining("above the sandbox's limit of 0");
        SandboxLimits large = TIGHT.withModuleLimits(ModuleLimits.defaults().withMaxTableElements(5_000_000));
        try (WasmModel model = WasmModel.load(Fixtures.wasm("table_huge"), large);
                ModelInstance instance = model.newInstance()) {
            assertThat(instance.run(List.of(ONE_SAMPLE)).get(0).toFloats()).containsExactly(1, 2, 3, 4);
        }
    }

    /** Features the engine does not enable are refused when the module is loaded, never at run time. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "table_grow_bounded   | Wasmtime refused to compile",
        "feature_threads      | Wasmtime refused to compile",
        "feature_tail_call    | Wasmtime refused to compile",
        "feature_relaxed_simd | Wasmtime refused to compile",
        "feature_multi_memory | more than one memory",
        "feature_memory64     | is a 64-bit memory",
    })
    void featuresOutsideTheAcceptedSetAreRefusedAtLoad(String fixture, String message) {
        assertThatThrownBy(() -> WasmModel.load(Fixtures.wasm(fixture), TIGHT))
                .isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining(message);
    }

    /** The accepted set (docs/abi.md §6): SIMD128, bulk memory, multi-value, sign extension, saturating
     * float-to-int, mutable globals, and WebAssembly 1.0 indirect calls through a bounded funcref table; and a
     * control block at address 0 (§4). */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"features_accepted", "indirect_call", "control_at_zero"})
    void acceptedFeaturesRun(String fixture) {
        try (WasmModel model = WasmModel.load(Fixtures.wasm(fixture), TIGHT);
                ModelInstance instance = model.newInstance()) {
            Tensor two = Tensor.ofFloats(new int[] {2, 4}, 1, 2, 3, 4, -5, 6.5f, Float.NaN, 8);
            assertThat(instance.run(List.of(two)).get(0).toFloats())
                    .containsExactly(1, 2, 3, 4, -5, 6.5f, Float.NaN, 8);
            assertThat(instance.run(List.of(ONE_SAMPLE)).get(0).toFloats()).containsExactly(1, 2, 3, 4);
        }
    }

    private static <E extends WasmInferenceException> E runExpecting(String fixture, Class<E> type) {
        try (WasmModel model = WasmModel.load(Fixtures.wasm(fixture), TIGHT);
                ModelInstance instance = model.newInstance()) {
            E e = catchThrowableOfType(type, () -> instance.run(List.of(ONE_SAMPLE)));
            assertThat(e).as("%s should fail with %s", fixture, type.getSimpleName()).isNotNull();
            assertThat(e.kind().instanceReplaced()).isTrue();
            return e;
        }
    }
}
