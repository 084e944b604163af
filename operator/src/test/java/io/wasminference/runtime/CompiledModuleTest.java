package io.wasminference.runtime;

import io.wasminference.errors.ModelRefusedException;
import io.wasminference.testutils.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The per-JVM cache of compiled modules: a compile in progress (held open here by a compiler that waits on a latch)
 * blocks only the threads that need the same module.
 */
@Timeout(60)
class CompiledModuleTest {
    private static final long STACK = SandboxLimits.DEFAULT_MAX_WASM_STACK_BYTES;

    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final CountDownLatch compiling = new CountDownLatch(1);
    private final CountDownLatch finish = new CountDownLatch(1);
    private final AtomicInteger compiles = new AtomicInteger();

    /** Counts compiles, says when one started, and does not finish it until {@link #finish} opens. */
    private final CompiledModule.Compiler held = (engine, bytes) -> {
        compiles.incrementAndGet();
        compiling.countDown();
        try {
            if (!finish.await(50, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never let the compile finish");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return CompiledModule.WASMTIME.compile(engine, bytes);
    };

    @AfterEach
    void stop() {
        finish.countDown();
        pool.shutdownNow();
    }

    @Test
    void aCompileInProgressDoesNotBlockLoadingAnotherModule() throws Exception {
        byte[] slow = Fixtures.wasm("identity_v2");
        Future<CompiledModule> first = pool.submit(() ->
                CompiledModule.acquire(slow, WasmModel.sha256(slow), "slow", STACK, held));
        assertThat(compiling.await(30, TimeUnit.SECONDS)).isTrue();

        byte[] other = Fixtures.wasm("identity");
        Future<CompiledModule> second = pool.submit(() ->
                CompiledModule.acquire(other, WasmModel.sha256(other), "other", STACK));
        // Before: the first compile held a JVM-wide lock, so this never completed.
        CompiledModule b = second.get(30, TimeUnit.SECONDS);
        assertThat(first).isNotDone();
        b.release();

        finish.countDown();
        first.get(30, TimeUnit.SECONDS).release();
    }

    @Test
    void threadsLoadingTheSameModuleShareOneCompile() throws Exception {
        byte[] wasm = Fixtures.wasm("multi_io");
        String sha = WasmModel.sha256(wasm);
        int before = CompiledModule.cachedCount();
        Future<CompiledModule> first = pool.submit(() -> CompiledModule.acquire(wasm, sha, "m", STACK, held));
        assertThat(compiling.await(30, TimeUnit.SECONDS)).isTrue();
        Future<CompiledModule> second = pool.submit(() -> CompiledModule.acquire(wasm, sha, "m", STACK, held));

        finish.countDown();
        CompiledModule a = first.get(30, TimeUnit.SECONDS);
        CompiledModule b = second.get(30, TimeUnit.SECONDS);
        assertThat(b).isSameAs(a);
        assertThat(compiles).hasValue(1);
        assertThat(CompiledModule.cachedCount()).isEqualTo(before + 1);
        a.release();
        assertThat(CompiledModule.cachedCount()).isEqualTo(before + 1); // b still holds it
        b.release();
        assertThat(CompiledModule.cachedCount()).isEqualTo(before);
    }

    @Test
    void aRefusedCompileReachesEveryWaiterAndIsNotCached() throws Exception {
        byte[] wasm = Fixtures.wasm("poison");
        String sha = WasmModel.sha256(wasm);
        int before = CompiledModule.cachedCount();
        CompiledModule.Compiler failing = (engine, bytes) -> {
            held.compile(engine, bytes).dispose();
            throw new IllegalArgumentException("simulated compiler failure");
        };
        Future<CompiledModule> first = pool.submit(() -> CompiledModule.acquire(wasm, sha, "p", STACK, failing));
        assertThat(compiling.await(30, TimeUnit.SECONDS)).isTrue();
        Future<CompiledModule> second = pool.submit(() -> CompiledModule.acquire(wasm, sha, "p", STACK, failing));
        finish.countDown();
        for (Future<CompiledModule> f : java.util.List.of(first, second)) {
            assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(ModelRefusedException.class)
                    .hasMessageContaining("simulated compiler failure");
        }
        assertThat(CompiledModule.cachedCount()).isEqualTo(before);
        CompiledModule retry = CompiledModule.acquire(wasm, sha, "p", STACK);
        assertThat(CompiledModule.cachedCount()).isEqualTo(before + 1);
        retry.release();
    }
}
