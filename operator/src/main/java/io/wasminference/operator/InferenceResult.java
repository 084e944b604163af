package io.wasminference.operator;

import io.wasminference.record.DeadLetter;
import io.wasminference.record.ModelEvent;
import io.wasminference.record.Prediction;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/** What {@link WasmInference#apply} returns: the predictions and the dead letters of the same operator. */
@PublicEvolving
public final class InferenceResult {
    private final SingleOutputStreamOperator<Prediction> predictions;
    private final DataStream<DeadLetter> deadLetters;
    private final DataStream<ModelEvent> modelEvents;

    InferenceResult(SingleOutputStreamOperator<Prediction> predictions, DataStream<DeadLetter> deadLetters,
            DataStream<ModelEvent> modelEvents) {
        this.predictions = predictions;
        this.deadLetters = deadLetters;
        this.modelEvents = modelEvents;
    }

    /**
     * What each subtask did with each control command (switched, refused, ignored).
     *
     * @throws IllegalStateException when the operator was wired without a control stream
     */
    public DataStream<ModelEvent> modelEvents() {
        if (modelEvents == null) {
            throw new IllegalStateException("no control stream: use WasmInference#applyWithControl for model events");
        }
        return modelEvents;
    }

    /** One prediction per successfully inferred record, in the operator's output (uid and name settable). */
    public SingleOutputStreamOperator<Prediction> predictions() {
        return predictions;
    }

    /** Records that produced no prediction, each with the reason. */
    public DataStream<DeadLetter> deadLetters() {
        return deadLetters;
    }
}
