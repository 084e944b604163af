package io.wasminference.operator;

import org.apache.flink.annotation.PublicEvolving;

/** What the inference operator does when the model fails on a record. */
@PublicEvolving
public enum ErrorPolicy {
    /**
     * Isolate the failing record(s) by retrying the failed batch in halves on a fresh instance, down to single
     * records, while the batch's time budget lasts; send each record that still fails (or, once the budget is
     * spent, each record of a group not isolated yet) to the dead-letter output with the error, and keep going. A
     * circuit breaker fails the task when the model fails on too many records in a row.
     */
    DEAD_LETTER,
    /** Fail the task on the first model failure, so Flink's restart strategy applies. */
    FAIL
}
