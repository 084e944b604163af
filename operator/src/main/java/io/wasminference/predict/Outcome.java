package io.wasminference.predict;

import io.wasminference.errors.ErrorKind;
import io.wasminference.errors.WasmInferenceException;
import io.wasminference.record.ClassScore;
import io.wasminference.tensor.Tensor;
import org.apache.flink.annotation.PublicEvolving;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/** What {@link Predictor#infer} made of one input: it was {@link Predicted}, or it {@link Failed} with why. */
@PublicEvolving
public sealed interface Outcome permits Outcome.Predicted, Outcome.Failed {
    /** {@link Failed#errorKind()} of an input whose outputs exceed {@link PredictorConfig#maxOutputBytes()}. */
    String OUTPUT_TOO_LARGE = "OUTPUT_TOO_LARGE";

    /**
     * The model's answer for one input.
     *
     * @param outputs one tensor per model output, by name (one sample: no batch dimension)
     * @param topK for a classifier, its best classes first ({@link PredictorConfig#topK()} of them); else empty
     * @param batchSize how many inputs shared the wasm call that produced it
     * @param inferenceMicros how long that call took (the whole batch)
     */
    record Predicted(Map<String, Tensor> outputs, List<ClassScore> topK, int batchSize, long inferenceMicros)
            implements Outcome {
        public Predicted {
            outputs = Map.copyOf(outputs);
            topK = List.copyOf(topK);
        }
    }

    /**
     * An input that produced no prediction.
     *
     * @param errorKind an {@link ErrorKind} name, or {@link #OUTPUT_TOO_LARGE}
     * @param reason what was wrong and what to do
     * @param error the failure; null for {@link #OUTPUT_TOO_LARGE} (the call succeeded)
     * @param groupSize 1 when the input failed on its own (or was refused before any call); n when it failed in a
     *     call of n inputs that was not retried because the batch's time budget was spent (it may or may not be
     *     the cause). The n inputs of a group are adjacent and share {@code error}.
     */
    record Failed(String errorKind, String reason, WasmInferenceException error, int groupSize) implements Outcome {
        public Failed {
            Objects.requireNonNull(errorKind, "errorKind");
            Objects.requireNonNull(reason, "reason");
            if (groupSize < 1) {
                throw new IllegalArgumentException("group size must be at least 1, got " + groupSize);
            }
        }

        /** Whether the model failed (trap, timeout, ...), rather than the input being refused or too large. */
        public boolean modelFault() {
            return error != null && error.kind() != ErrorKind.INVALID_INPUT;
        }
    }
}
