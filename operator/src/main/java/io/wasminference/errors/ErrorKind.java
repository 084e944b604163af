package io.wasminference.errors;

import org.apache.flink.annotation.PublicEvolving;

/**
 * Why a model call or load failed (docs/abi.md §5 maps statuses and traps to kinds; new kinds are added at the end). The kind decides what a caller should do: whether the instance is still usable
 * and whether the failure belongs to the input (dead-letter it) or to the model (replace the instance, maybe fail).
 */
@PublicEvolving
public enum ErrorKind {
    /** The module was refused before it ran: malformed binary, bad metadata, forbidden import, lying buffers. */
    REFUSED(false),
    /** The module trapped (out-of-bounds access, unreachable, stack overflow, ...). */
    TRAP(true),
    /** The call or the start-up ran past its deadline and was interrupted. */
    TIMEOUT(true),
    /** The module needed more linear memory than the sandbox allows. */
    OUT_OF_MEMORY(true),
    /** The module broke the ABI at run time (bad status, output not written, buffers moved outside memory). */
    PROTOCOL(true),
    /** The input does not fit the model (shape, dtype, batch), or the model rejected it (status INVALID_INPUT). */
    INVALID_INPUT(false),
    /** The module overflowed the wasm stack limit (runaway recursion). */
    STACK_OVERFLOW(true),
    /** The module reported a failure of its own (status INTERNAL_ERROR), within the ABI. */
    MODEL_ERROR(true);

    private final boolean instanceReplaced;

    ErrorKind(boolean instanceReplaced) {
        this.instanceReplaced = instanceReplaced;
    }

    /** Whether the runtime throws the instance away (and creates a fresh one before the next call). */
    public boolean instanceReplaced() {
        return instanceReplaced;
    }
}
