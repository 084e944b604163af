package io.wasminference.operator;

import io.wasminference.model.ModelVersion;
import io.wasminference.record.DeadLetter;
import io.wasminference.record.InferenceRequest;
import io.wasminference.record.ModelCommand;
import io.wasminference.record.ModelEvent;
import io.wasminference.record.Prediction;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.streaming.api.operators.AbstractStreamOperatorFactory;
import org.apache.flink.streaming.api.operators.BoundedMultiInput;
import org.apache.flink.streaming.api.operators.StreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperatorFactory;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * The batching inference operator with a second, broadcast input of control commands (docs/hot-swap.md). A
 * command is prepared off the task thread by the {@link ModelSwapper} (load, compile, compatibility check,
 * instantiate, golden vectors); when it is ready, a mail in this operator's mailbox applies it on the task thread,
 * between two batches: the buffer is flushed with the old version first. A checkpoint holds the version that served
 * the records before it plus the commands not yet applied, which are prepared again after a restore. Watermarks
 * come from the records alone.
 */
final class HotSwapInferenceOperator extends AbstractInferenceOperator
        implements TwoInputStreamOperator<InferenceRequest, ModelCommand, Prediction>, BoundedMultiInput {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(HotSwapInferenceOperator.class);

    private final OutputTag<ModelEvent> events;
    private final transient MailboxExecutor mailbox;
    private transient ModelSwapper swapper;

    HotSwapInferenceOperator(StreamOperatorParameters<Prediction> parameters, InferenceConfig config,
            OutputTag<DeadLetter> deadLetters, OutputTag<ModelEvent> events) {
        super(parameters, config, deadLetters);
        this.events = events;
        this.mailbox = parameters.getMailboxExecutor();
    }

    @Override
    public void open() throws Exception {
        super.open();
        // Called on the swap thread; the mail runs on the task thread, between two records (as AsyncWaitOperator
        // hands back its results). It throws once the task is closing: the swapper then disposes what it prepared.
        swapper = new ModelSwapper(config, subtask,
                () -> mailbox.execute(this::applyReady, "apply a prepared model swap"));
        if (!restoredPending.isEmpty()) {
            LOG.info("Subtask {}: resuming control commands from the checkpoint: {}", subtask, restoredPending);
            swapper.restore(restoredPending);
        }
        swapper.startNext(serving.metadata(), serving.history());
    }

    @Override
    List<ModelCommand> pendingCommands() {
        return swapper.pendingCommands();
    }

    @Override
    public void processElement1(StreamRecord<InferenceRequest> element) {
        onRequest(element);
    }

    @Override
    public void processElement2(StreamRecord<ModelCommand> element) {
        ModelCommand command = element.getValue();
        String refused = swapper.submit(command);
        if (refused != null) {
            metrics.recordSwapRefused();
            LOG.warn("Subtask {}: refused '{}', still serving {}: {}", subtask, command, serving.current(), refused);
            emit(new ModelEvent(System.currentTimeMillis(), subtask, command.toString(), ModelEvent.REFUSED,
                    serving.current().name(), serving.current().version(), serving.current().version(), refused));
        }
        swapper.startNext(serving.metadata(), serving.history());
        applyReady(); // a command with nothing to prepare (ignored) has its verdict at once
    }

    /**
     * Commands still being prepared are not waited for: they are in the checkpointed state and prepared again after
     * a restore, so a slow model download never holds the barrier.
     */
    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        applyReady();
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    /** Event time comes from the records; the control stream carries none and must not hold it back. */
    @Override
    public void processWatermark1(Watermark mark) throws Exception {
        processWatermark(mark);
    }

    @Override
    public void processWatermark2(Watermark mark) {
        // ignored: see processWatermark1
    }

    @Override
    protected void processWatermarkStatus(WatermarkStatus status, int inputIndex) throws Exception {
        if (inputIndex == 0) {
            processWatermarkStatus(status); // the records' status, as a one-input operator would
        }
    }

    /** At the end of the control input, waits for every queued command to be prepared and applied. */
    @Override
    public void endInput(int inputId) throws Exception {
        flush();
        if (inputId == 2) {
            while (swapper.awaitInFlight(config.limits().startupTimeout().plusMinutes(1))) {
                applyReady();
            }
        }
    }

    /**
     * Applies the prepared commands, if any, on the task thread (from a mail of the swapper, or where the operator
     * looks anyway); the batch collected so far is flushed first, served by the version that was current when it
     * arrived.
     */
    private void applyReady() {
        if (!swapper.ready()) {
            return;
        }
        flush();
        for (ModelSwapper.Prepared p = swapper.poll(); p != null; p = swapper.poll()) {
            emit(apply(p));
            swapper.startNext(serving.metadata(), serving.history());
        }
    }

    private ModelEvent apply(ModelSwapper.Prepared p) {
        ModelVersion before = serving.current();
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
        serving.switchTo(p.predictor(), p.version(), p.command().action());
        inference.resetCircuitBreaker();
        metrics.recordSwap();
        LOG.info("Subtask {}: '{}' done, now serving {} (was {})", subtask, p.command(), serving.current(),
                before.id());
        return new ModelEvent(System.currentTimeMillis(), subtask, p.command().toString(), ModelEvent.SERVING,
                serving.current().name(), serving.current().version(), before.version(), "");
    }

    private void emit(ModelEvent event) {
        output.collect(events, new StreamRecord<>(event));
    }

    @Override
    public void close() throws Exception {
        try {
            if (swapper != null) {
                swapper.close();
            }
        } finally {
            super.close();
        }
    }

    /**
     * Creates the operator on the TaskManager and hands it the task's {@link MailboxExecutor} (from the
     * {@link StreamOperatorParameters}: in Flink 2 that is where a factory receives it; the older
     * {@code YieldingOperatorFactory} hook that {@code AsyncWaitOperatorFactory} implements is deprecated).
     */
    static final class Factory extends AbstractStreamOperatorFactory<Prediction>
            implements TwoInputStreamOperatorFactory<InferenceRequest, ModelCommand, Prediction> {
        private static final long serialVersionUID = 1L;

        private final InferenceConfig config;
        private final OutputTag<DeadLetter> deadLetters;
        private final OutputTag<ModelEvent> events;

        Factory(InferenceConfig config, OutputTag<DeadLetter> deadLetters, OutputTag<ModelEvent> events) {
            this.config = config;
            this.deadLetters = deadLetters;
            this.events = events;
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T extends StreamOperator<Prediction>> T createStreamOperator(
                StreamOperatorParameters<Prediction> parameters) {
            return (T) new HotSwapInferenceOperator(parameters, config, deadLetters, events);
        }

        @Override
        public Class<? extends StreamOperator> getStreamOperatorClass(ClassLoader classLoader) {
            return HotSwapInferenceOperator.class;
        }
    }
}
