package io.wasminference.operator;

import io.wasminference.record.DeadLetter;
import io.wasminference.record.InferenceRequest;
import io.wasminference.record.ModelCommand;
import io.wasminference.record.Prediction;
import org.apache.flink.streaming.api.operators.AbstractStreamOperatorFactory;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperatorFactory;
import org.apache.flink.streaming.api.operators.StreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

import java.util.List;

/** The batching inference operator of a job without a control stream; see {@link AbstractInferenceOperator}. */
final class WasmInferenceOperator extends AbstractInferenceOperator
        implements OneInputStreamOperator<InferenceRequest, Prediction>, BoundedOneInput {
    private static final long serialVersionUID = 1L;

    WasmInferenceOperator(StreamOperatorParameters<Prediction> parameters, InferenceConfig config,
            OutputTag<DeadLetter> deadLetters) {
        super(parameters, config, deadLetters);
    }

    @Override
    public void processElement(StreamRecord<InferenceRequest> element) {
        onRequest(element);
    }

    @Override
    public void endInput() {
        flush();
    }

    /** Without a control stream nothing is applied: commands restored from a checkpoint stay in the state as they were. */
    @Override
    List<ModelCommand> pendingCommands() {
        return restoredPending;
    }

    /** Creates the operator on the TaskManager. */
    static final class Factory extends AbstractStreamOperatorFactory<Prediction>
            implements OneInputStreamOperatorFactory<InferenceRequest, Prediction> {
        private static final long serialVersionUID = 1L;

        private final InferenceConfig config;
        private final OutputTag<DeadLetter> deadLetters;

        Factory(InferenceConfig config, OutputTag<DeadLetter> deadLetters) {
            this.config = config;
            this.deadLetters = deadLetters;
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T extends StreamOperator<Prediction>> T createStreamOperator(
                StreamOperatorParameters<Prediction> parameters) {
            return (T) new WasmInferenceOperator(parameters, config, deadLetters);
        }

        @Override
        public Class<? extends StreamOperator> getStreamOperatorClass(ClassLoader classLoader) {
            return WasmInferenceOperator.class;
        }
    }
}
