package io.wasminference.runtime;

import io.github.kawamuray.wasmtime.Disposable;
import io.github.kawamuray.wasmtime.Engine;
import io.github.kawamuray.wasmtime.Store;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The single owner of one Wasmtime {@link Store} and of the native handles created in it (instances, memories,
 * functions). A sandbox registers each handle as soon as it exists and reaches the store only through
 * {@link #store()}, so that after {@link #close()} every use is an {@link IllegalStateException} instead of a JVM
 * crash: in wasmtime-java 0.19.0 a call or a memory read after {@code store.dispose()} is a SIGSEGV, and nothing
 * is freed without an explicit {@code dispose()} (there is no Cleaner).
 *
 * <p>{@link #close()} disposes the handles in reverse order of registration (they point into the store), then the
 * store, exactly once; it is idempotent. A dispose that throws does not stop the others: all are attempted, then
 * the first failure is rethrown with the later ones suppressed.
 *
 * <p>Not thread-safe: confined to the sandbox that owns it.
 *
 * @param <S> the store's type; {@code Store<Void>} outside tests
 */
final class StoreHandles<S extends Disposable> implements AutoCloseable {
    private final String owner;
    private final S store;
    private final List<Disposable> handles = new ArrayList<>();
    private boolean closed;

    /**
     * Takes ownership of {@code store}: from here on only {@link #close()} disposes it.
     *
     * @param owner what these handles belong to, named in the error after close (e.g. "the sandbox of model x")
     */
    StoreHandles(String owner, S store) {
        this.owner = Objects.requireNonNull(owner, "owner");
        this.store = Objects.requireNonNull(store, "store");
    }

    /** A fresh store in {@code engine}, owned by the returned object. */
    static StoreHandles<Store<Void>> open(String owner, Engine engine) {
        return new StoreHandles<>(owner, new Store<>(null, engine));
    }

    /** The store, for calls into it; refused once closed. */
    S store() {
        checkOpen();
        return store;
    }

    /**
     * Takes ownership of a handle just created in the store, to be disposed before the store and before every
     * handle registered earlier. Refused once closed (the store it points into is gone).
     *
     * @return {@code handle}, so creation and registration can be one expression
     */
    <T extends Disposable> T register(T handle) {
        Objects.requireNonNull(handle, "handle");
        checkOpen();
        handles.add(handle);
        return handle;
    }

    /** Throws {@link IllegalStateException} naming the owner once {@link #close()} has begun. */
    void checkOpen() {
        if (closed) {
            throw new IllegalStateException(owner + " is closed: its wasm store and the native handles in it are "
                    + "disposed, and touching them would crash the JVM");
        }
    }

    boolean isClosed() {
        return closed;
    }

    /**
     * Runs {@code start} (a sandbox's start-up); if it throws, closes these handles and rethrows, a failure to
     * close added as suppressed so that the start-up error, the one that says what is wrong, is what surfaces.
     */
    void closeIfFails(Runnable start) {
        try {
            start.run();
        } catch (RuntimeException | Error e) {
            try {
                close();
            } catch (RuntimeException | Error closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
    }

    /**
     * Disposes the handles, newest first, then the store. Idempotent: marked closed before anything is disposed,
     * so neither a second call nor a failing dispose leads to disposing a native object twice (wasmtime-java
     * does not say what a second dispose does).
     *
     * @throws RuntimeException the first dispose that failed, the later failures suppressed; everything was still
     *     attempted
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Throwable failure = null;
        for (int i = handles.size() - 1; i >= 0; i--) {
            failure = dispose(handles.get(i), failure);
        }
        failure = dispose(store, failure); // last: it owns everything above
        handles.clear();
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure != null) {
            throw (Error) failure; // dispose() declares no checked exception
        }
    }

    /** Disposes {@code d}; returns the first failure so far, a new one attached to it as suppressed. */
    private static Throwable dispose(Disposable d, Throwable first) {
        try {
            d.dispose();
            return first;
        } catch (RuntimeException | Error e) {
            if (first == null) {
                return e;
            }
            if (first != e) { // one exception object thrown twice cannot suppress itself
                first.addSuppressed(e);
            }
            return first;
        }
    }
}
