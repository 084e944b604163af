package io.wasminference.operator;

import io.wasminference.record.DeadLetter;
import io.wasminference.record.Prediction;

/** The result for one request: exactly one of a prediction or a dead letter. */
public record Outcome(Prediction prediction, DeadLetter deadLetter) {
    public Outcome {
        if ((prediction == null) == (deadLetter == null)) {
            throw new IllegalArgumentException("exactly one of prediction and dead letter");
        }
    }

    static Outcome of(Prediction p) {
        return new Outcome(p, null);
    }

    static Outcome of(DeadLetter d) {
        return new Outcome(null, d);
    }
}
