package io.wasminference.runtime;

import io.github.kawamuray.wasmtime.Disposable;
import io.github.kawamuray.wasmtime.Memory;
import io.github.kawamuray.wasmtime.MemoryType;
import io.github.kawamuray.wasmtime.Store;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(60)
class StoreHandlesTest {
    private final List<String> disposed = new ArrayList<>();

    /** A fake native handle that records its disposal and optionally fails it. */
    private Disposable handle(String name, RuntimeException failure) {
        return () -> {
            disposed.add(name);
            if (failure != null) {
                throw failure;
            }
        };
    }

    private Disposable handle(String name) {
        return handle(name, null);
    }

    @Test
    void disposesHandlesNewestFirstThenTheStoreExactlyOnce() {
        StoreHandles<Disposable> handles = new StoreHandles<>("test scope", handle("store"));
        Disposable instance = handles.register(handle("instance"));
        handles.register(handle("memory"));
        handles.register(handle("func"));
        assertThat(instance).isNotNull();

        handles.close();
        assertThat(disposed).containsExactly("func", "memory", "instance", "store");
        assertThat(handles.isClosed()).isTrue();

        handles.close(); // idempotent: nothing disposed twice
        assertThat(disposed).containsExactly("func", "memory", "instance", "store");
    }

    @Test
    void aFailingDisposeStillFreesTheRestAndTheFirstFailureCarriesTheOthers() {
        RuntimeException funcFailure = new IllegalStateException("func dispose failed");
        RuntimeException memoryFailure = new IllegalStateException("memory dispose failed");
        RuntimeException storeFailure = new IllegalStateException("store dispose failed");
        StoreHandles<Disposable> handles = new StoreHandles<>("test scope", handle("store", storeFailure));
        handles.register(handle("instance"));
        handles.register(handle("memory", memoryFailure));
        handles.register(handle("func", funcFailure));

        assertThatThrownBy(handles::close).isSameAs(funcFailure);
        assertThat(funcFailure.getSuppressed()).containsExactly(memoryFailure, storeFailure);
        assertThat(disposed).containsExactly("func", "memory", "instance", "store");
        assertThat(handles.isClosed()).isTrue();

        handles.close(); // closed even though close failed: nothing is disposed twice, nothing rethrown
        assertThat(disposed).hasSize(4);
    }

    @Test
    void oneExceptionThrownByTwoDisposesIsRethrownWithoutSuppressingItself() {
        RuntimeException shared = new IllegalStateException("shared");
        StoreHandles<Disposable> handles = new StoreHandles<>("test scope", handle("store", shared));
        handles.register(handle("func", shared));

        assertThatThrownBy(handles::close).isSameAs(shared);
        assertThat(shared.getSuppressed()).isEmpty();
        assertThat(disposed).containsExactly("func", "store");
    }

    @Test
    void everyUseAfterCloseIsRefusedWithAMessageNamingTheOwner() {
        StoreHandles<Disposable> handles = new StoreHandles<>("the sandbox of model m", handle("store"));
        handles.close();

        assertThatThrownBy(handles::checkOpen).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the sandbox of model m is closed");
        assertThatThrownBy(handles::store).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the sandbox of model m is closed");
        Disposable late = handle("late");
        assertThatThrownBy(() -> handles.register(late)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the sandbox of model m is closed");
        assertThat(disposed).containsExactly("store"); // the refused handle was not taken, nor disposed
    }

    @Test
    void aFailedStartUpClosesTheHandlesAndKeepsItsOwnError() {
        RuntimeException storeFailure = new IllegalStateException("store dispose failed");
        StoreHandles<Disposable> handles = new StoreHandles<>("test scope", handle("store", storeFailure));
        RuntimeException startFailure = new IllegalArgumentException("the module exports no memory");

        assertThatThrownBy(() -> handles.closeIfFails(() -> {
            handles.register(handle("instance"));
            throw startFailure;
        })).isSameAs(startFailure);
        assertThat(startFailure.getSuppressed()).containsExactly(storeFailure);
        assertThat(disposed).containsExactly("instance", "store");
        assertThat(handles.isClosed()).isTrue();
    }

    @Test
    void aSuccessfulStartUpLeavesTheHandlesOpen() {
        StoreHandles<Disposable> handles = new StoreHandles<>("test scope", handle("store"));
        handles.closeIfFails(() -> handles.register(handle("instance")));
        assertThat(handles.isClosed()).isFalse();
        assertThat(disposed).isEmpty();
        handles.close();
        assertThat(disposed).containsExactly("instance", "store");
    }

    @Test
    void ownsARealStoreAndMemory() {
        SharedEngine engine = SharedEngine.acquire(SandboxLimits.defaults().maxWasmStackBytes());
        try {
            StoreHandles<Store<Void>> handles = StoreHandles.open("the sandbox of model real", engine.engine());
            Memory memory = handles.register(new Memory(handles.store(), new MemoryType(1, 2, false)));
            assertThat(memory.buffer(handles.store()).capacity()).isEqualTo(65536);
            assertThat(memory.grow(handles.store(), 1)).isEqualTo(1);

            handles.close();
            handles.close(); // the fakes above count disposals; this only shows a real second close is harmless
            assertThatThrownBy(handles::store).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("the sandbox of model real is closed");
        } finally {
            engine.release();
        }
    }
}
