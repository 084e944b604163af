package io.wasminference.operator;

import io.wasminference.abi.ModelMetadata;
import io.wasminference.model.ModelManifest;
import io.wasminference.model.ModelRef;
import io.wasminference.model.ModelRepository;
import io.wasminference.model.ModelValidation;
import io.wasminference.model.ModelVersion;
import io.wasminference.record.ModelCommand;
import io.wasminference.record.ModelEvent;
import io.wasminference.predict.Predictor;
import io.wasminference.runtime.SandboxLimits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Prepares control commands of one subtask off its task thread, one at a time and in order: resolves the version,
 * loads it (pinned by sha256), checks it against the model it would replace, instantiates it and runs its golden
 * vectors. The task thread takes prepared results with {@link #poll()} and applies them between two batches.
 *
 * <p>Threading: {@link #submit}, {@link #startNext}, {@link #poll} and {@link #close} run on the task thread, and
 * every field is the task thread's. The preparation runs on this swapper's own thread, with a 4 MiB stack because
 * candidate modules run on it; it shares nothing with the task thread: its result crosses in a
 * {@link CompletableFuture} (a happens-before edge), and {@code announceReady} then puts a mail into the
 * operator's mailbox, which takes the result on the task thread.
 */
final class ModelSwapper implements AutoCloseable {
    /** A prepared command: a validated instance ready to serve ({@link ModelEvent#SERVING}), or why not. */
    record Prepared(ModelCommand command, String status, ModelVersion version, Predictor predictor, String reason) {
        void discard() {
            if (predictor != null) {
                predictor.close();
            }
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(ModelSwapper.class);
    /** Most control commands a subtask holds received but not applied (the one in flight included). */
    static final int MAX_PENDING_COMMANDS = 32;
    /** Added to the start-up or call deadline when {@link #close()} waits for the swap thread. */
    static final long JOIN_MARGIN_SECONDS = 5;

    private final InferenceConfig config;
    private final int subtask;
    private final ArrayDeque<ModelCommand> queued = new ArrayDeque<>();
    /** Thread-safe; called on the swap thread when a preparation completes (a quick verdict: the task thread). */
    private final Runnable announceReady;
    private CompletableFuture<Prepared> inFlight;
    private ModelCommand inFlightCommand;
    private ExecutorService executor;

    /**
     * @param announceReady tells the task thread that a prepared command can be taken with {@link #poll()}: the
     *     operator puts a mail into its mailbox. Thread-safe; it may fail once the task is closing (the prepared
     *     model is then disposed by {@link #close()}).
     */
    ModelSwapper(InferenceConfig config, int subtask, Runnable announceReady) {
        this.config = config;
        this.subtask = subtask;
        this.announceReady = announceReady;
    }

    /**
     * Queues a command, unless {@value #MAX_PENDING_COMMANDS} are pending already (the queue is checkpointed, and a
     * flood on the control stream must not grow the state without bound).
     *
     * @return null when queued, otherwise why the command was refused
     */
    String submit(ModelCommand command) {
        if (pendingCount() >= MAX_PENDING_COMMANDS) {
            return pendingCount() + " control commands are pending already, the most a subtask queues (they are "
                    + "part of every checkpoint); send it again once the status topic shows them done";
        }
        queued.add(command);
        return null;
    }

    /**
     * Queues commands restored from a checkpoint, all of them: they were accepted before it (an earlier release
     * did not bound the queue), and dropping them would lose them.
     */
    void restore(List<ModelCommand> commands) {
        queued.addAll(commands);
    }

    private int pendingCount() {
        return queued.size() + (inFlightCommand != null ? 1 : 0);
    }

    /** Starts preparing the next queued command against the model now serving, unless one is in flight. */
    void startNext(ModelMetadata current, List<ModelVersion> history) {
        if (inFlight != null || queued.isEmpty()) {
            return;
        }
        ModelCommand command = queued.poll();
        inFlightCommand = command;
        String ignored = null;
        ModelVersion rollbackTo = null;
        if (!command.name().equals(current.name())) {
            ignored = "this operator serves model " + current.name() + ", the command is for " + command.name();
        } else if (command.action() == ModelCommand.Action.DEPLOY && command.version().equals(current.version())) {
            ignored = "already serving " + current.id();
        } else if (command.action() == ModelCommand.Action.ROLLBACK) {
            if (history.size() < 2) {
                ignored = "no earlier version to roll back to";
            } else {
                rollbackTo = history.get(history.size() - 2);
            }
        }
        if (ignored != null) {
            inFlight = CompletableFuture.completedFuture(
                    new Prepared(command, ModelEvent.IGNORED, null, null, ignored));
        } else {
            ModelVersion target = rollbackTo;
            inFlight = CompletableFuture.supplyAsync(() -> prepare(command, target, current), executor());
        }
        inFlight.whenComplete((prepared, failure) -> announce());
    }

    private void announce() {
        try {
            announceReady.run();
        } catch (RuntimeException e) {
            // The task is closing and its mailbox takes no more mail: close() disposes what was prepared.
            LOG.debug("Subtask {}: a prepared control command was not announced: {}", subtask, e.toString());
        }
    }

    boolean ready() {
        return inFlight != null && inFlight.isDone();
    }

    /** The prepared command, if its preparation has finished; it is no longer in flight afterwards. */
    Prepared poll() {
        if (!ready()) {
            return null;
        }
        Prepared p = inFlight.join();
        inFlight = null;
        inFlightCommand = null;
        return p;
    }

    /** Commands received but not applied yet (the one in flight first): what a checkpoint must remember. */
    List<ModelCommand> pendingCommands() {
        List<ModelCommand> pending = new java.util.ArrayList<>();
        if (inFlightCommand != null) {
            pending.add(inFlightCommand);
        }
        pending.addAll(queued);
        return pending;
    }

    /** Waits for the command in flight; false when none is. */
    boolean awaitInFlight(Duration timeout) throws Exception {
        if (inFlight == null) {
            return false;
        }
        try {
            inFlight.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("preparing a control command took longer than " + timeout
                    + " (loading, compiling and validating the model); check the model repository's file system", e);
        }
        return true;
    }

    /** On the swap thread. Never throws: a failure is a refusal. */
    private Prepared prepare(ModelCommand command, ModelVersion rollbackTo, ModelMetadata current) {
        Predictor candidate = null;
        try {
            ModelRef ref;
            List<String> golden = List.of();
            if (rollbackTo != null) {
                ref = rollbackTo.ref();
            } else {
                ModelRepository repository = config.repository();
                if (repository == null) {
                    throw new IllegalStateException("no model repository is configured, so there is nowhere to "
                            + "deploy " + command.name() + ":" + command.version() + " from");
                }
                ModelManifest manifest = (config.trustedKeys() == null
                        ? repository.find(command.name(), command.version())
                        : repository.findTrusted(command.name(), command.version(), config.trustedKeys()))
                        .orElseThrow(() -> new IllegalStateException(command.name() + ":" + command.version()
                                + " is not published in " + repository.root()));
                ref = repository.ref(manifest);
                golden = manifest.golden();
            }
            byte[] bytes = loadWithRetries(ref);
            checkNotInterrupted();
            String expectedVersion = rollbackTo != null ? rollbackTo.version() : command.version();
            // Checked before the candidate's start function runs.
            candidate = Predictor.create(bytes, ref.location(), config.predictorConfig(), meta -> {
                if (!meta.name().equals(command.name()) || !meta.version().equals(expectedVersion)) {
                    throw new IllegalStateException(ref.location() + " holds " + meta.id() + ", not "
                            + command.name() + ":" + expectedVersion);
                }
                ModelValidation.checkCompatible(current, meta);
                checkNotInterrupted();
            });
            candidate.checkGolden(golden); // stops between vectors when interrupted
            ModelMetadata meta = candidate.metadata();
            ModelVersion version = new ModelVersion(meta.name(), meta.version(), candidate.sha256(), ref.location());
            return new Prepared(command, ModelEvent.SERVING, version, candidate, "");
        } catch (Exception | Error e) {
            if (candidate != null) {
                candidate.close();
            }
            String reason = e.getMessage() != null ? e.getMessage() : e.getClass().getName();
            return new Prepared(command, ModelEvent.REFUSED, null, null, reason);
        }
    }

    /**
     * Reads the model, retrying a failed read (a flaky object store, say) twice with back-off before the command
     * is refused; a hash mismatch is final at once.
     */
    private static byte[] loadWithRetries(ModelRef ref) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                return ref.load();
            } catch (io.wasminference.errors.ModelRefusedException e) {
                boolean unreadable = e.getCause() instanceof java.io.IOException;
                if (!unreadable || attempt == 3) {
                    throw e;
                }
                Thread.sleep(1000L << (attempt - 1));
            }
        }
    }

    private ExecutorService executor() {
        if (executor == null) {
            executor = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(null, r, "wasm-inference-model-swap-" + subtask, 4L << 20);
                t.setDaemon(true);
                return t;
            });
        }
        return executor;
    }

    /**
     * Stops the swap thread and waits for it, at most a start-up or call deadline plus
     * {@value #JOIN_MARGIN_SECONDS} s (a candidate runs wasm there, which no interrupt stops; its own deadline
     * does); a model prepared but never applied is disposed.
     */
    @Override
    public void close() {
        SandboxLimits limits = config.limits();
        Duration deadline = limits.startupTimeout().compareTo(limits.callTimeout()) > 0 ? limits.startupTimeout()
                : limits.callTimeout();
        stop(deadline.plusSeconds(JOIN_MARGIN_SECONDS));
    }

    /**
     * Interrupts the swap thread (file reads and back-off sleeps stop at once, a preparation stops before its next
     * step) and waits up to {@code bound} for it to end.
     *
     * @return whether it ended; if not it is abandoned (and logged): it ends at the candidate's own deadline and
     *     disposes what it prepared
     */
    boolean stop(Duration bound) {
        if (inFlight != null) {
            inFlight.thenAccept(Prepared::discard);
            inFlight = null;
            inFlightCommand = null;
        }
        if (executor == null) {
            return true;
        }
        executor.shutdownNow();
        try {
            if (executor.awaitTermination(bound.toMillis(), TimeUnit.MILLISECONDS)) {
                return true;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.warn("Subtask {}: the model swap thread did not stop within {} of close(); abandoned: it ends at the "
                + "candidate's start-up or call deadline, or when its compilation finishes, and disposes what it "
                + "prepared", subtask, bound);
        return false;
    }

    /** Whether the swap thread has ended (or never started). */
    boolean stopped() {
        return executor == null || executor.isTerminated();
    }

    private static void checkNotInterrupted() {
        if (Thread.currentThread().isInterrupted()) {
            throw new IllegalStateException("the operator is closing: preparation stopped");
        }
    }
}
