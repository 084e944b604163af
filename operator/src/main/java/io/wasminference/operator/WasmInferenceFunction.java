package io.wasminference.operator;

import io.wasminference.abi.ModelMetadata;
import io.wasminference.batching.BatchBuffer;
import io.wasminference.errors.ErrorKind;
import io.wasminference.errors.WasmInferenceException;
import io.wasminference.metrics.InferenceMetrics;
import io.wasminference.model.ModelRef;
import io.wasminference.model.ModelVersion;
import io.wasminference.model.ServingState;
import io.wasminference.record.ModelCommand;
import io.wasminference.record.ModelEvent;
import io.wasminference.record.DeadLetter;
import io.wasminference.record.InferenceRequest;
import io.wasminference.record.Prediction;
import io.wasminference.predict.InferenceObserver;
import io.wasminference.predict.Predictor;
import io.wasminference.tensor.Tensor;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Holds one sandboxed instance of the model per parallel subtask (so one per task slot): created in
 * {@link #open(OpenContext)}, disposed in {@link #close()}. Checkpoints which model it serves (name, version,
 * sha256, location) and, when restored, serves exactly that model again, whatever default is configured.
 *
 * <p>Used on its own as a {@code map}, it runs one record per wasm call and fails the task on any error. Wrapped
 * by {@link WasmInference#apply} it micro-batches records across one wasm call and routes failures to a
 * dead-letter output; that is the intended use.
 */
public class WasmInferenceFunction extends RichMapFunction<InferenceRequest, Prediction>
        implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(WasmInferenceFunction.class);

    static final String STATE_NAME = "wasm-inference-model-version";

    private final InferenceConfig config;

    private transient ListState<byte[]> versionState;
    private transient List<ModelVersion> restored;
    private transient List<ModelCommand> restoredPending;
    private transient Predictor predictor;
    private transient Observer observer;
    /** Versions served so far, the current one last (what a rollback goes back through). */
    private transient List<ModelVersion> history;
    private transient ModelVersion serving;
    private transient InferenceMetrics metrics;
    private transient int consecutiveFailures;
    private transient int subtask;

    private transient ModelSwapper swapper;

    public WasmInferenceFunction(InferenceConfig config) {
        this.config = config;
    }

    public InferenceConfig config() {
        return config;
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        versionState = context.getOperatorStateStore().getUnionListState(
                new ListStateDescriptor<>(STATE_NAME, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        if (context.isRestored()) {
            List<ServingState> entries = new ArrayList<>();
            for (byte[] entry : versionState.get()) {
                entries.add(ServingState.fromBytes(entry));
            }
            int index = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
            // Each subtask restores its own entry; after rescaling, new subtasks take the lowest one (control
            // commands reach every subtask, so the entries differ only while a swap is in flight).
            ServingState own = entries.stream().filter(e -> e.subtask() == index).findFirst()
                    .or(() -> entries.stream().min(java.util.Comparator.comparingInt(ServingState::subtask)))
                    .orElse(null);
            restored = own == null ? null : own.history();
            restoredPending = own == null ? List.of() : own.pending();
        }
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        ModelVersion restoredVersion = restored == null || restored.isEmpty() ? null
                : restored.get(restored.size() - 1);
        ModelRef ref = restoredVersion != null ? restoredVersion.ref() : config.model();
        long start = System.nanoTime();
        byte[] bytes;
        try {
            bytes = ref.load();
        } catch (WasmInferenceException e) {
            if (restoredVersion != null) {
                throw new IllegalStateException("this job was restored serving model " + restoredVersion.id()
                        + " (sha256 " + restoredVersion.sha256() + "), but that version cannot be loaded from "
                        + restoredVersion.location() + ": " + e.getMessage() + ". The operator never switches "
                        + "models silently. Put that exact file back at " + restoredVersion.location() + "; or, to "
                        + "serve " + config.model() + " instead, give this operator a new uid and restore with "
                        + "--allowNonRestoredState (that drops only this operator's state, not the Kafka offsets).",
                        e);
            }
            throw e;
        }
        predictor = Predictor.create(bytes, ref.location(), config.predictorConfig(), m -> { });
        ModelMetadata meta = predictor.metadata();
        serving = new ModelVersion(meta.name(), meta.version(), predictor.sha256(), ref.location());
        history = new ArrayList<>(restoredVersion != null ? restored : List.of(serving));
        if (restoredVersion != null
                && !(restoredVersion.name().equals(meta.name()) && restoredVersion.version().equals(meta.version()))) {
            throw new IllegalStateException("restored model " + restoredVersion.id() + " but " + ref.location()
                    + " now holds " + meta.id() + " with the same sha256; this cannot happen unless metadata parsing "
                    + "changed between releases");
        }
        long loadMillis = (System.nanoTime() - start) / 1_000_000;
        metrics = new InferenceMetrics(getRuntimeContext().getMetricGroup(), () -> serving.id(),
                () -> serving.sha256(), () -> predictor == null ? 0 : predictor.memoryBytes(),
                () -> predictor == null ? 0 : predictor.restarts(), loadMillis);
        observer = new Observer();
        subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        swapper = new ModelSwapper(config, subtask);
        if (restoredPending != null && !restoredPending.isEmpty()) {
            LOG.info("Subtask {}: resuming control commands from the checkpoint: {}", subtask, restoredPending);
            swapper.restore(restoredPending);
        }
        if (predictor.outputLimitProblem() != null) {
            LOG.warn("Subtask {}: every record will be dead-lettered: {}", subtask, predictor.outputLimitProblem());
        }
        if (restoredVersion != null && !config.model().location().equals(restoredVersion.location())) {
            LOG.info("Subtask {}: serving {} restored from the checkpoint; the configured model {} is not used",
                    subtask, serving, config.model());
        } else {
            LOG.info("Subtask {}: serving {} (loaded in {} ms)", subtask, serving, loadMillis);
        }
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        versionState.update(List.of(new ServingState(subtask, history, swapper.pendingCommands()).toBytes()));
    }

    /** Runs one record; any failure fails the task. Use {@link WasmInference#apply} for batching and dead letters. */
    @Override
    public Prediction map(InferenceRequest request) {
        Outcome o = infer(List.of(new BatchBuffer.Entry<>(request, System.nanoTime()))).get(0);
        if (o.deadLetter() != null) {
            throw new IllegalStateException("inference failed for record '" + request.id() + "' ("
                    + o.deadLetter().errorKind() + "): " + o.deadLetter().reason());
        }
        return o.prediction();
    }

    /** The model's declared largest batch. */
    public int modelMaxBatch() {
        return predictor.metadata().maxBatch();
    }

    /** The version this subtask serves. */
    public ModelVersion serving() {
        return serving;
    }

    /**
     * Runs a batch of buffered requests through the {@link Predictor}, one outcome per request in the same order:
     * requests that do not fit the model become dead letters at once; when a wasm call fails, its records are
     * retried in halves (on a fresh instance) to isolate the ones that cause it, for as long as
     * {@link InferenceConfig#batchTimeBudget()} lasts. Applies the error policy and the circuit breaker.
     */
    public List<Outcome> infer(List<BatchBuffer.Entry<InferenceRequest>> entries) {
        long flushNanos = System.nanoTime();
        List<Map<String, Tensor>> inputs = new ArrayList<>(entries.size());
        for (BatchBuffer.Entry<InferenceRequest> e : entries) {
            metrics.recordIn();
            inputs.add(e.element().inputs());
        }
        List<io.wasminference.predict.Outcome> results;
        try {
            results = predictor.infer(inputs, observer);
        } catch (WasmInferenceException e) { // only with ErrorPolicy.FAIL: the predictor does not isolate then
            throw new IllegalStateException("model " + serving.id() + " failed on a batch of "
                    + observer.lastFailedBatch + " (error policy FAIL): " + e.getMessage(), e);
        }
        Outcome[] outcomes = new Outcome[entries.size()];
        WasmInferenceException group = null;
        for (int i = 0; i < outcomes.length; i++) {
            InferenceRequest r = entries.get(i).element();
            if (results.get(i) instanceof io.wasminference.predict.Outcome.Predicted p) {
                consecutiveFailures = 0;
                long queueMicros = Math.max(0, (flushNanos - entries.get(i).arrivedNanos()) / 1000);
                metrics.recordPrediction(queueMicros, p.inferenceMicros());
                outcomes[i] = Outcome.of(new Prediction(r.id(), r.key(), r.headers(), p.outputs(), p.topK(),
                        serving.name(), serving.version(), p.batchSize(), queueMicros, p.inferenceMicros()));
                continue;
            }
            io.wasminference.predict.Outcome.Failed f = (io.wasminference.predict.Outcome.Failed) results.get(i);
            metrics.recordDeadLetter();
            outcomes[i] = Outcome.of(DeadLetter.of(r, f.errorKind(), f.reason(), serving.name(), serving.version()));
            if (f.error() == null) {
                consecutiveFailures = 0; // OUTPUT_TOO_LARGE: the call itself succeeded
            } else if (f.modelFault() && f.error() != group) {
                group = f.error(); // a group that failed together counts at once, as one failed call
                countModelFailures(f.error(), f.groupSize());
            }
        }
        return List.of(outcomes);
    }

    /** Feeds the metrics from the predictor's calls; remembers the last failed call for the FAIL message. */
    private final class Observer implements InferenceObserver {
        int lastFailedBatch;

        @Override
        public void inputRejected(String problem) {
            metrics.recordFailure(ErrorKind.INVALID_INPUT);
        }

        @Override
        public void callSucceeded(int batchSize, long micros) {
            metrics.recordBatch(batchSize, micros);
        }

        @Override
        public void callFailed(ErrorKind kind, int batchSize) {
            lastFailedBatch = batchSize;
            metrics.recordFailure(kind);
        }

        @Override
        public void budgetExhausted(int records, WasmInferenceException cause) {
            metrics.recordBudgetExhausted();
            LOG.warn("Subtask {}: a group of {} records failed and was not retried one by one: the batch time budget "
                    + "of {} is spent ({}: {})", subtask, records, config.batchTimeBudget(), cause.kind(),
                    cause.getMessage());
        }
    }

    /**
     * The circuit breaker counts records dead-lettered with a model fault in a row, isolated or not, so a model
     * that times out on everything opens it after about threshold / batch size batches of one budget each.
     */
    private void countModelFailures(WasmInferenceException e, int records) {
        consecutiveFailures += records;
        if (consecutiveFailures >= config.circuitBreakerThreshold()) {
            throw new IllegalStateException("circuit breaker open: model " + serving.id() + " failed on "
                    + consecutiveFailures + " records in a row, the last with " + e.kind() + ": " + e.getMessage()
                    + ". Failing the task so Flink's restart strategy applies; if the model is broken, deploy a "
                    + "fixed version, otherwise raise circuitBreakerThreshold.", e);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Hot swap (docs/hot-swap.md): the ModelSwapper prepares commands off the task thread; they are applied here,
    // on the task thread, between two batches.

    /**
     * Registers what to call (from the swap thread) when a prepared swap is ready to apply, and starts preparing
     * the commands restored from a checkpoint, if any.
     */
    public void onSwapReady(Runnable callback) {
        swapper.onReady(callback);
        swapper.startNext(predictor.metadata(), history);
    }

    /**
     * Queues a control command; it is prepared off the task thread and applied between two batches.
     *
     * @return a {@link ModelEvent#REFUSED} event to publish when the queue is full, otherwise empty
     */
    public List<ModelEvent> submit(ModelCommand command) {
        String refused = swapper.submit(command);
        swapper.startNext(predictor.metadata(), history);
        if (refused == null) {
            return List.of();
        }
        metrics.recordSwapRefused();
        LOG.warn("Subtask {}: refused '{}', still serving {}: {}", subtask, command, serving, refused);
        return List.of(new ModelEvent(System.currentTimeMillis(), subtask, command.toString(), ModelEvent.REFUSED,
                serving.name(), serving.version(), serving.version(), refused));
    }

    /** Whether a prepared swap waits to be applied. */
    public boolean swapReady() {
        return swapper.ready();
    }

    /**
     * Applies the prepared swaps, if any: the caller has flushed the batch served by the old version. Returns the
     * events to publish.
     */
    public List<ModelEvent> applyReady() {
        List<ModelEvent> events = new ArrayList<>();
        for (ModelSwapper.Prepared p = swapper.poll(); p != null; p = swapper.poll()) {
            events.add(apply(p));
            swapper.startNext(predictor.metadata(), history);
        }
        return events;
    }

    /** Waits for every queued command to be prepared and applied (before a checkpoint barrier). */
    public List<ModelEvent> awaitSwaps(Runnable beforeEachSwap) throws Exception {
        List<ModelEvent> events = new ArrayList<>();
        while (swapper.awaitInFlight(config.limits().startupTimeout().plusMinutes(1))) {
            beforeEachSwap.run();
            events.addAll(applyReady());
        }
        return events;
    }

    private ModelEvent apply(ModelSwapper.Prepared p) {
        ModelVersion before = serving;
        if (!ModelEvent.SERVING.equals(p.status())) {
            if (ModelEvent.REFUSED.equals(p.status())) {
                metrics.recordSwapRefused();
                LOG.warn("Subtask {}: refused '{}', still serving {}: {}", subtask, p.command(), before, p.reason());
            } else {
                LOG.info("Subtask {}: ignored '{}': {}", subtask, p.command(), p.reason());
            }
            return new ModelEvent(System.currentTimeMillis(), subtask, p.command().toString(), p.status(),
                    before.name(), before.version(), before.version(), p.reason());
        }
        Predictor old = predictor;
        predictor = p.predictor();
        serving = p.version();
        consecutiveFailures = 0;
        if (p.command().action() == ModelCommand.Action.ROLLBACK) {
            history.remove(history.size() - 1);
        } else {
            history.add(serving);
            while (history.size() > ServingState.MAX_HISTORY) {
                history.remove(0);
            }
        }
        old.close();
        metrics.recordSwap();
        LOG.info("Subtask {}: '{}' done, now serving {} (was {})", subtask, p.command(), serving, before.id());
        return new ModelEvent(System.currentTimeMillis(), subtask, p.command().toString(), ModelEvent.SERVING,
                serving.name(), serving.version(), before.version(), "");
    }

    @Override
    public void close() throws Exception {
        if (swapper != null) {
            swapper.close();
        }
        if (predictor != null) {
            predictor.close();
            predictor = null;
        }
    }
}
