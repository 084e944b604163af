package io.wasminference.operator;

import io.wasminference.record.DeadLetter;
import io.wasminference.record.InferenceRequest;
import io.wasminference.record.Prediction;
import org.apache.flink.annotation.Internal;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

/** The batching inference operator for a job without a control stream; see {@link AbstractInferenceOperator}. */
@Internal
public class WasmInferenceOperator extends AbstractInferenceOperator
        implements OneInputStreamOperator<InferenceRequest, Prediction>, BoundedOneInput {
    private static final long serialVersionUID = 1L;

    public WasmInferenceOperator(WasmInferenceFunction function, OutputTag<DeadLetter> deadLetters) {
        super(function, deadLetters);
    }

    @Override
    public void processElement(StreamRecord<InferenceRequest> element) {
        onRequest(element);
    }

    @Override
    public void endInput() {
        flush();
    }
}
