package io.wasminference.operator;

import io.wasminference.abi.ModelKind;
import io.wasminference.abi.ModelMetadata;
import io.wasminference.abi.TensorSpec;
import io.wasminference.batching.BatchBuffer;
import io.wasminference.errors.ErrorKind;
import io.wasminference.errors.WasmInferenceException;
import io.wasminference.metrics.InferenceMetrics;
import io.wasminference.model.ModelRef;
import io.wasminference.model.ModelVersion;
import io.wasminference.model.ServingState;
import io.wasminference.record.ModelCommand;
import io.wasminference.record.ModelEvent;
import io.wasminference.record.ClassScore;
import io.wasminference.record.DeadLetter;
import io.wasminference.record.InferenceRequest;
import io.wasminference.record.Prediction;
import io.wasminference.runtime.IsolatingRunner;
import io.wasminference.runtime.ModelInstance;
import io.wasminference.runtime.WasmModel;
import io.wasminference.tensor.Tensor;
import io.wasminference.tensor.TopK;
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
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
    private transient WasmModel model;
    private transient ModelInstance instance;
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
        model = WasmModel.load(bytes, config.limits());
        ModelMetadata meta = model.metadata();
        serving = new ModelVersion(meta.name(), meta.version(), model.sha256(), ref.location());
        history = new ArrayList<>(restoredVersion != null ? restored : List.of(serving));
        if (restoredVersion != null
                && !(restoredVersion.name().equals(meta.name()) && restoredVersion.version().equals(meta.version()))) {
            throw new IllegalStateException("restored model " + restoredVersion.id() + " but " + ref.location()
                    + " now holds " + meta.id() + " with the same sha256; this cannot happen unless metadata parsing "
                    + "changed between releases");
        }
        instance = model.newInstance();
        long loadMillis = (System.nanoTime() - start) / 1_000_000;
        metrics = new InferenceMetrics(getRuntimeContext().getMetricGroup(), () -> serving.id(),
                () -> serving.sha256(), () -> instance == null ? 0 : instance.memoryBytes(),
                () -> instance == null ? 0 : instance.restarts(), loadMillis);
        subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        swapper = new ModelSwapper(config, subtask);
        if (restoredPending != null && !restoredPending.isEmpty()) {
            LOG.info("Subtask {}: resuming control commands from the checkpoint: {}", subtask, restoredPending);
            swapper.restore(restoredPending);
        }
        if (outputBytesPerRecord(meta) > config.maxOutputBytes()) {
            LOG.warn("Subtask {}: every record will be dead-lettered: {}", subtask, outputTooLarge());
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
        return model.metadata().maxBatch();
    }

    /** The version this subtask serves. */
    public ModelVersion serving() {
        return serving;
    }

    /**
     * Runs a batch of buffered requests, one outcome per request in the same order. Requests that do not fit the
     * model become dead letters at once; if the wasm call fails, the batch is retried in halves (on a fresh
     * instance) to isolate the records that cause it, for as long as {@link InferenceConfig#batchTimeBudget()}
     * lasts.
     */
    public List<Outcome> infer(List<BatchBuffer.Entry<InferenceRequest>> entries) {
        long flushNanos = System.nanoTime();
        Outcome[] outcomes = new Outcome[entries.size()];
        List<Integer> valid = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            metrics.recordIn();
            InferenceRequest r = entries.get(i).element();
            String problem = validate(r);
            if (problem != null) {
                metrics.recordFailure(ErrorKind.INVALID_INPUT);
                outcomes[i] = Outcome.of(deadLetter(r, ErrorKind.INVALID_INPUT.name(), problem));
            } else {
                valid.add(i);
            }
        }
        runIsolating(entries, valid, outcomes, flushNanos);
        return List.of(outcomes);
    }

    /**
     * Runs the valid requests through the instance; {@link IsolatingRunner} bisects failed calls while the batch's
     * time budget lasts and reports the groups it could not split any more.
     */
    private void runIsolating(List<BatchBuffer.Entry<InferenceRequest>> entries, List<Integer> indexes,
            Outcome[] outcomes, long flushNanos) {
        if (indexes.isEmpty()) {
            return;
        }
        List<Map<String, Tensor>> inputs = new ArrayList<>(indexes.size());
        for (int i : indexes) {
            inputs.add(entries.get(i).element().inputs());
        }
        String tooLarge = outputTooLarge();
        IsolatingRunner.Listener listener = new IsolatingRunner.Listener() {
            @Override
            public void callFailed(WasmInferenceException e, int batchSize) {
                metrics.recordFailure(e.kind());
                if (e.kind() != ErrorKind.INVALID_INPUT && config.errorPolicy() == ErrorPolicy.FAIL) {
                    throw new IllegalStateException("model " + serving.id() + " failed on a batch of " + batchSize
                            + " (error policy FAIL): " + e.getMessage(), e);
                }
                if (batchSize > 1) {
                    LOG.debug("Batch of {} failed ({}); retrying its halves unless its time budget is spent",
                            batchSize, e.kind());
                }
            }

            @Override
            public void callSucceeded(int batchSize, long micros) {
                consecutiveFailures = 0;
                metrics.recordBatch(batchSize, micros);
            }

            @Override
            public void predicted(int position, List<Tensor> outputs, int row, int batchSize, long micros) {
                int i = indexes.get(position);
                BatchBuffer.Entry<InferenceRequest> entry = entries.get(i);
                if (tooLarge != null) {
                    outcomes[i] = Outcome.of(deadLetter(entry.element(), DeadLetter.OUTPUT_TOO_LARGE, tooLarge));
                    return;
                }
                long queueMicros = Math.max(0, (flushNanos - entry.arrivedNanos()) / 1000);
                outcomes[i] = Outcome.of(prediction(entry.element(), outputs, row, batchSize, queueMicros, micros));
                metrics.recordPrediction(queueMicros, micros);
            }

            @Override
            public void failed(int position, WasmInferenceException e) {
                int i = indexes.get(position);
                outcomes[i] = Outcome.of(deadLetter(entries.get(i).element(), e.kind().name(), e.getMessage()));
                countModelFailures(e, 1);
            }

            @Override
            public void failedTogether(int from, int to, WasmInferenceException e) {
                deadLetterUnisolated(entries, indexes.subList(from, to), outcomes, e);
            }
        };
        IsolatingRunner.run(instance, model.metadata().maxBatch(), inputs, config.batchTimeBudget(), listener);
    }

    /**
     * Why a prediction of the serving model would exceed {@link InferenceConfig#maxOutputBytes()}, or null. ABI v1
     * outputs have a fixed shape, so this holds for every record of a model alike.
     */
    private String outputTooLarge() {
        long bytes = outputBytesPerRecord(model.metadata());
        if (bytes <= config.maxOutputBytes()) {
            return null;
        }
        return "model " + serving.id() + " produces " + bytes + " bytes of outputs per record " + model.metadata()
                .outputs() + ", more than the " + config.maxOutputBytes() + " bytes a prediction may carry "
                + "(maxOutputBytes, --max-output-bytes); raise the limit (mind the sink's message size: JSON takes "
                + "up to 5 characters per byte) or serve a model with smaller outputs";
    }

    private static long outputBytesPerRecord(ModelMetadata meta) {
        return meta.outputs().stream().mapToLong(TensorSpec::sampleBytes).sum();
    }

    /** The budget is spent: the records of a failed group share its error instead of being retried. */
    private void deadLetterUnisolated(List<BatchBuffer.Entry<InferenceRequest>> entries, List<Integer> indexes,
            Outcome[] outcomes, WasmInferenceException cause) {
        metrics.recordBudgetExhausted();
        LOG.warn("Subtask {}: a group of {} records failed and was not retried one by one: the batch time budget of "
                + "{} is spent ({}: {})", subtask, indexes.size(), config.batchTimeBudget(), cause.kind(),
                cause.getMessage());
        String reason = "a group of " + indexes.size() + " records holding this one failed (" + cause.kind() + ": "
                + cause.getMessage() + ") and it was not retried on its own: isolating the failing records had "
                + "used the batch's time budget of " + config.batchTimeBudget() + " (batchTimeBudget); it may or "
                + "may not be the cause";
        for (int i : indexes) {
            outcomes[i] = Outcome.of(deadLetter(entries.get(i).element(), cause.kind().name(), reason));
        }
        countModelFailures(cause, indexes.size());
    }

    /**
     * The circuit breaker counts records dead-lettered with a model fault in a row, isolated or not, so a model
     * that times out on everything opens it after about threshold / batch size batches of one budget each.
     */
    private void countModelFailures(WasmInferenceException e, int records) {
        if (e.kind() == ErrorKind.INVALID_INPUT) {
            return;
        }
        consecutiveFailures += records;
        if (consecutiveFailures >= config.circuitBreakerThreshold()) {
            throw new IllegalStateException("circuit breaker open: model " + serving.id() + " failed on "
                    + consecutiveFailures + " records in a row, the last with " + e.kind() + ": " + e.getMessage()
                    + ". Failing the task so Flink's restart strategy applies; if the model is broken, deploy a "
                    + "fixed version, otherwise raise circuitBreakerThreshold.", e);
        }
    }

    private Prediction prediction(InferenceRequest r, List<Tensor> outputs, int sample, int batchSize,
            long queueMicros, long inferenceMicros) {
        ModelMetadata meta = model.metadata();
        // Immutable collections, which Prediction keeps as they are instead of copying them: this runs per record.
        Tensor first = outputs.get(0).sample(sample);
        Map<String, Tensor> named;
        if (outputs.size() == 1) {
            named = Map.of(meta.outputs().get(0).name(), first);
        } else {
            Map<String, Tensor> all = new HashMap<>();
            all.put(meta.outputs().get(0).name(), first);
            for (int o = 1; o < outputs.size(); o++) {
                all.put(meta.outputs().get(o).name(), outputs.get(o).sample(sample));
            }
            named = Map.copyOf(all);
        }
        List<ClassScore> top = List.of();
        if (meta.kind() == ModelKind.CLASSIFIER && config.topK() > 0) {
            List<TopK.Entry> entries = TopK.of(first, config.topK());
            ClassScore[] scores = new ClassScore[entries.size()];
            for (int i = 0; i < scores.length; i++) {
                TopK.Entry e = entries.get(i);
                scores[i] = new ClassScore(e.index(), meta.label(e.index()), e.probability());
            }
            top = List.of(scores);
        }
        return new Prediction(r.id(), r.key(), r.headers(), named, top, serving.name(), serving.version(), batchSize,
                queueMicros, inferenceMicros);
    }

    private DeadLetter deadLetter(InferenceRequest r, String kind, String reason) {
        metrics.recordDeadLetter(kind);
        return DeadLetter.of(r, kind, reason, serving.name(), serving.version());
    }

    /** Null when the request fits the model, otherwise what is wrong with it. */
    private String validate(InferenceRequest r) {
        ModelMetadata meta = model.metadata();
        for (TensorSpec spec : meta.inputs()) {
            Tensor t = r.inputs().get(spec.name());
            if (t == null) {
                return "input '" + spec.name() + "' (" + spec + ") is missing; model " + meta.id() + " takes "
                        + meta.inputs();
            }
            if (t.dtype() != spec.dtype() || t.elementCount() != spec.shape().elementCount()) {
                return "input '" + spec.name() + "' is " + t + " but model " + meta.id() + " expects " + spec.dtype()
                        + " of shape " + spec.shape() + " per record; records of this shape cannot share its batch";
            }
        }
        if (r.inputs().size() != meta.inputs().size()) {
            Set<String> extra = new LinkedHashSet<>(r.inputs().keySet());
            meta.inputs().forEach(s -> extra.remove(s.name()));
            return "unknown inputs " + extra + "; model " + meta.id() + " takes " + meta.inputs();
        }
        return null;
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
        swapper.startNext(model.metadata(), history);
    }

    /**
     * Queues a control command; it is prepared off the task thread and applied between two batches.
     *
     * @return a {@link ModelEvent#REFUSED} event to publish when the queue is full, otherwise empty
     */
    public List<ModelEvent> submit(ModelCommand command) {
        String refused = swapper.submit(command);
        swapper.startNext(model.metadata(), history);
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
            swapper.startNext(model.metadata(), history);
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
        ModelInstance oldInstance = instance;
        WasmModel oldModel = model;
        instance = p.instance();
        model = p.model();
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
        oldInstance.close();
        oldModel.close();
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
        try {
            if (instance != null) {
                instance.close();
            }
        } finally {
            instance = null;
            if (model != null) {
                model.close();
                model = null;
            }
        }
    }
}
