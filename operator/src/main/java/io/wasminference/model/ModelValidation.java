package io.wasminference.model;

import io.wasminference.abi.ModelMetadata;
import io.wasminference.errors.ModelRefusedException;
import org.apache.flink.annotation.Internal;

/**
 * Checks a candidate model before it may serve: the same signature as the stream it joins. (Its golden vectors
 * run through {@link io.wasminference.predict.Predictor#checkGolden}.)
 */
@Internal
public final class ModelValidation {
    private ModelValidation() {}

    /** Refuses a candidate whose inputs or outputs differ from the model it would replace. */
    public static void checkCompatible(ModelMetadata current, ModelMetadata candidate) {
        if (!current.inputs().equals(candidate.inputs())) {
            throw new ModelRefusedException("model " + candidate.id() + " takes inputs " + candidate.inputs()
                    + " but the stream carries " + current.inputs() + " (served by " + current.id()
                    + "); a hot swap needs the same inputs");
        }
        if (!current.outputs().equals(candidate.outputs())) {
            throw new ModelRefusedException("model " + candidate.id() + " produces " + candidate.outputs()
                    + " but consumers expect " + current.outputs() + " (from " + current.id()
                    + "); a hot swap needs the same outputs");
        }
    }
}
