package io.wasminference.operator;

import io.wasminference.batching.BatchBuffer;
import io.wasminference.batching.BatchPolicy;
import io.wasminference.record.DeadLetter;
import io.wasminference.record.InferenceRequest;
import io.wasminference.record.ModelEvent;
import io.wasminference.record.Prediction;
import org.apache.flink.annotation.Internal;
import org.apache.flink.streaming.api.operators.AbstractUdfStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

import java.util.List;

/**
 * Micro-batches records across one wasm call of its {@link WasmInferenceFunction}. There is exactly one flush path,
 * called when the batch is full, when its oldest record has waited the maximum delay (see {@link #onTimer}), on
 * every watermark, before every checkpoint barrier
 * ({@link #prepareSnapshotPreBarrier}), at end of input, and before a model swap. So the buffer is always empty
 * when state is snapshotted (nothing buffered is lost or duplicated on failure, the buffer needs no state), and a
 * batch is always served by one model version.
 *
 * <p>Predictions keep their input record's timestamp; dead letters go to a side output.
 */
@Internal
abstract class AbstractInferenceOperator extends AbstractUdfStreamOperator<Prediction, WasmInferenceFunction> {
    private static final long serialVersionUID = 1L;

    private final BatchPolicy policy;
    private final OutputTag<DeadLetter> deadLetters;

    private transient BatchBuffer<StreamRecord<InferenceRequest>> buffer;
    /** When the batch being filled must leave (processing time, ms). */
    private transient long batchDue;
    private transient boolean timerPending;

    AbstractInferenceOperator(WasmInferenceFunction function, OutputTag<DeadLetter> deadLetters) {
        super(function);
        this.policy = function.config().batching();
        this.deadLetters = deadLetters;
    }

    public OutputTag<DeadLetter> deadLetterTag() {
        return deadLetters;
    }

    @Override
    public void open() throws Exception {
        super.open(); // opens the function: loads the model, creates the instance
        buffer = new BatchBuffer<>();
    }

    /** Buffers one request and flushes when the batch is full; the first record of a batch starts its timer. */
    final void onRequest(StreamRecord<InferenceRequest> element) {
        // A copy: with object reuse, the chained upstream operator reuses the StreamRecord we are handed.
        long now = System.nanoTime();
        if (element.hasTimestamp()) {
            buffer.add(new StreamRecord<>(element.getValue(), element.getTimestamp()), now, element.getTimestamp());
        } else {
            buffer.add(new StreamRecord<>(element.getValue()), now);
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
     * time. Registering (and cancelling) a timer per batch woke Flink's timer thread every time, ~8% of the task
     * thread at 300 k records/s; this registers at most one per maximum delay.
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
        return policy.effectiveSize(userFunction.modelMaxBatch());
    }

    /** The one flush path. */
    final void flush() {
        if (buffer == null || buffer.isEmpty()) {
            return;
        }
        List<BatchBuffer.Entry<StreamRecord<InferenceRequest>>> records = buffer.drain();
        List<BatchBuffer.Entry<InferenceRequest>> requests = records.stream()
                .map(e -> new BatchBuffer.Entry<>(e.element().getValue(), e.arrivedNanos()))
                .toList();
        List<Outcome> outcomes = userFunction.infer(requests);
        for (int i = 0; i < outcomes.size(); i++) {
            StreamRecord<InferenceRequest> in = records.get(i).element();
            Outcome o = outcomes.get(i);
            if (o.prediction() != null) {
                output.collect(in.replace(o.prediction()));
            } else {
                output.collect(deadLetters, in.hasTimestamp()
                        ? new StreamRecord<>(o.deadLetter(), in.getTimestamp())
                        : new StreamRecord<>(o.deadLetter()));
            }
        }
    }

    /** Emits model events to {@code tag}. */
    final void emitEvents(OutputTag<ModelEvent> tag, List<ModelEvent> events) {
        for (ModelEvent e : events) {
            output.collect(tag, new StreamRecord<>(e));
        }
    }
}
