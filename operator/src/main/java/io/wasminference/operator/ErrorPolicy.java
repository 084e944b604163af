package io.wasminference.operator;

/** What the inference operator does when the model fails on a record. */
public enum ErrorPolicy {
    /**
     * Isolate the failing record(s) by retrying the batch record by record; send each record that still fails to
     * the dead-letter output with the error, and keep going. A circuit breaker fails the task when the model
     * fails on too many records in a row.
     */
    DEAD_LETTER,
    /** Fail the task on the first model failure, so Flink's restart strategy applies. */
    FAIL
}
