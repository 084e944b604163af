package io.wasminference.operator;

import io.wasminference.batching.BatchBuffer;
import io.wasminference.batching.BatchPolicy;
import io.wasminference.metrics.InferenceMetrics;
import io.wasminference.record.DeadLetter;
import io.wasminference.record.InferenceRequest;
import io.wasminference.record.ModelCommand;
import io.wasminference.record.Prediction;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * The batching inference operator: the Flink side of inference (state, timers, metrics, the dead-letter output);
 * the model runs in the serving model's {@link io.wasminference.predict.Predictor}.
 *
 * <p>Records are micro-batched across one wasm call. There is exactly one flush path, called when the batch is
 * full, when its oldest record has waited the maximum delay (see {@link #onTimer}), on every watermark, before every
 * checkpoint barrier ({@link #prepareSnapshotPreBarrier}), at end of input, and before a model swap. So the buffer
 * is always empty when state is snapshotted (nothing buffered is lost or duplicated on failure, the buffer needs no
 * state), and a batch is always served by one model version. Predictions keep their input record's timestamp; dead
 * letters go to a side output.
 *
 * <p>State: which model the subtask serves, the versions before it and the control commands not yet applied
 * ({@link ServingStateStore}). Restored, the operator serves exactly that version again, whatever default is
 * configured.
 */
abstract class AbstractInferenceOperator extends AbstractStreamOperator<Prediction> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(AbstractInferenceOperator.class);

    final InferenceConfig config;
    private final BatchPolicy policy;
    private final OutputTag<DeadLetter> deadLetters;

    private transient ServingStateStore stateStore;
    /** Commands restored from the checkpoint; what a subtask without a control stream keeps in its state. */
    transient List<ModelCommand> restoredPending;
    transient ServingModel serving;
    transient InferenceMetrics metrics;
    transient RecordInference inference;
    transient int subtask;

    private transient BatchBuffer<InferenceRequest> buffer;
    /** Carries every prediction out (Flink's collectors do the same): downstream copies or uses it at once. */
    private transient StreamRecord<Prediction> outRecord;
    /** When the batch being filled must leave (processing time, ms). */
    private transient long batchDue;
    private transient boolean timerPending;

    AbstractInferenceOperator(StreamOperatorParameters<Prediction> parameters, InferenceConfig config,
            OutputTag<DeadLetter> deadLetters) {
        super(parameters);
        this.config = config;
        this.policy = config.batching();
        this.deadLetters = deadLetters;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        stateStore = ServingStateStore.initialize(context.getOperatorStateStore(), context.isRestored(), subtask);
        ServingState restored = stateStore.restored();
        restoredPending = restored == null ? List.of() : restored.pending();
    }

    @Override
    public void open() throws Exception {
        super.open();
        ServingState restored = stateStore.restored();
        serving = ServingModel.open(config, restored == null ? null : restored.history());
        metrics = new InferenceMetrics(getMetricGroup(), () -> serving.current().id(),
                () -> serving.current().sha256(), () -> serving.predictor().memoryBytes(),
                () -> serving.predictor().restarts(), serving.loadMillis());
        inference = new RecordInference(config, metrics, subtask);
        buffer = new BatchBuffer<>();
        outRecord = new StreamRecord<>(null);
        String tooLarge = serving.predictor().outputLimitProblem();
        if (tooLarge != null) {
            LOG.warn("Subtask {}: every record will be dead-lettered: {}", subtask, tooLarge);
        }
        if (restored != null && !config.model().location().equals(serving.current().location())) {
            LOG.info("Subtask {}: serving {} restored from the checkpoint; the configured model {} is not used",
                    subtask, serving.current(), config.model());
        } else {
            LOG.info("Subtask {}: serving {} (loaded in {} ms)", subtask, serving.current(), serving.loadMillis());
        }
    }

    /** The control commands received but not applied yet, for the checkpoint. */
    abstract List<ModelCommand> pendingCommands();

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        stateStore.snapshot(new ServingState(subtask, serving.history(), pendingCommands()));
    }

    /** Buffers one request and flushes when the batch is full; the first record of a batch starts its timer. */
    final void onRequest(StreamRecord<InferenceRequest> element) {
        // The value and timestamp, not the StreamRecord: with object reuse, the chained upstream operator reuses it.
        long now = System.nanoTime();
        if (element.hasTimestamp()) {
            buffer.add(element.getValue(), now, element.getTimestamp());
        } else {
            buffer.add(element.getValue(), now);
        }
        if (buffer.size() >= batchSize()) {
            flush();
        } else if (buffer.size() == 1) {
            batchDue = getProcessingTimeService().getCurrentProcessingTime() + policy.maxDelay().toMillis();
            if (!timerPending) {
                registerTimer(batchDue);
            }
        }
    }

    /**
     * At most one timer is pending, and never later than the current batch's due time: a batch that fills up
     * leaves its timer in place, and the timer, when it fires early for a newer batch, moves on to that batch's due
     * time (one registration per maximum delay at most, instead of one per batch; bench/notes.md).
     */
    private void onTimer(long time) {
        timerPending = false;
        if (buffer.isEmpty()) {
            return;
        }
        if (time >= batchDue) {
            flush();
        } else {
            registerTimer(batchDue);
        }
    }

    private void registerTimer(long due) {
        timerPending = true;
        getProcessingTimeService().registerTimer(due, this::onTimer);
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        if (buffer != null && buffer.minTimestamp() <= mark.getTimestamp()) {
            flush(); // records at or before the watermark leave before it, so they are not late downstream
        }
        super.processWatermark(mark);
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        flush();
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void finish() throws Exception {
        flush();
        super.finish();
    }

    /** Batch size in effect: the configured size capped by the declared maximum of the model serving now. */
    final int batchSize() {
        return policy.effectiveSize(serving.metadata().maxBatch());
    }

    /** The one flush path. */
    final void flush() {
        if (buffer == null || buffer.isEmpty()) {
            return;
        }
        long flushNanos = System.nanoTime();
        List<BatchBuffer.Entry<InferenceRequest>> requests = buffer.drain();
        inference.infer(serving, requests, flushNanos, new RecordInference.Emitter() {
            @Override
            public void prediction(int index, Prediction prediction) {
                BatchBuffer.Entry<InferenceRequest> in = requests.get(index);
                if (in.hasTimestamp()) {
                    outRecord.replace(prediction, in.timestamp());
                } else {
                    outRecord.replace(prediction);
                    outRecord.eraseTimestamp();
                }
                output.collect(outRecord);
            }

            @Override
            public void deadLetter(int index, DeadLetter deadLetter) {
                BatchBuffer.Entry<InferenceRequest> in = requests.get(index);
                output.collect(deadLetters, in.hasTimestamp() ? new StreamRecord<>(deadLetter, in.timestamp())
                        : new StreamRecord<>(deadLetter));
            }
        });
    }

    @Override
    public void close() throws Exception {
        try {
            super.close();
        } finally {
            if (serving != null) {
                serving.close(); // the metric gauges may still read it: closed, it reports no memory
            }
        }
    }
}
