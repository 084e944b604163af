package io.wasminference.operator;

import io.wasminference.record.DeadLetter;
import io.wasminference.record.InferenceRequest;
import io.wasminference.record.ModelCommand;
import io.wasminference.record.ModelEvent;
import io.wasminference.record.Prediction;
import org.apache.flink.annotation.Internal;
import org.apache.flink.streaming.api.operators.BoundedMultiInput;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.util.OutputTag;

/**
 * The batching inference operator with a second, broadcast input of control commands (docs/hot-swap.md). A
 * command is prepared off the task thread (load, compile, instantiate, compatibility and golden checks); the
 * switch happens in the mailbox between two batches: the buffer is flushed with the old version first. A checkpoint
 * holds the version that served the records before it plus the commands not yet applied, which are prepared again
 * after a restore. Watermarks come from the records alone.
 */
@Internal
public class HotSwapInferenceOperator extends AbstractInferenceOperator
        implements TwoInputStreamOperator<InferenceRequest, ModelCommand, Prediction>, BoundedMultiInput {
    private static final long serialVersionUID = 1L;

    private final OutputTag<ModelEvent> events;

    public HotSwapInferenceOperator(WasmInferenceFunction function, OutputTag<DeadLetter> deadLetters,
            OutputTag<ModelEvent> events) {
        super(function, deadLetters);
        this.events = events;
    }

    @Override
    public void open() throws Exception {
        super.open();
        // Called on the swap thread: a timer brings the switch into the mailbox.
        userFunction.onSwapReady(() -> getProcessingTimeService()
                .registerTimer(getProcessingTimeService().getCurrentProcessingTime(), t -> applySwaps()));
    }

    @Override
    public void processElement1(StreamRecord<InferenceRequest> element) {
        if (userFunction.swapReady()) {
            applySwaps();
        }
        onRequest(element);
    }

    @Override
    public void processElement2(StreamRecord<ModelCommand> element) {
        emitEvents(events, userFunction.submit(element.getValue()));
        if (userFunction.swapReady()) {
            applySwaps();
        }
    }

    /**
     * Commands still being prepared are not waited for: they are in the checkpointed state and prepared again after
     * a restore, so a slow model download never holds the barrier.
     */
    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        applySwaps();
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

    @Override
    public void endInput(int inputId) throws Exception {
        flush();
        if (inputId == 2) {
            emitEvents(events, userFunction.awaitSwaps(this::flush));
        }
    }

    private void applySwaps() {
        if (userFunction.swapReady()) {
            flush(); // the batch collected so far is served by the version that was current when it arrived
            emitEvents(events, userFunction.applyReady());
        }
    }
}
