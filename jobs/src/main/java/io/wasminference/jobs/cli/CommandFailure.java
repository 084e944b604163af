package io.wasminference.jobs.cli;

/**
 * A failure the tool explains in its message (what was wrong, what to do): printed as {@code error: MESSAGE}
 * without a stack trace or the usage, and the tool exits with {@link #exitCode()}.
 */
public final class CommandFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Exit code of a command refused before it started anything (bad model, missing topic, locked state). */
    public static final int REFUSED = 2;
    /** Exit code of a job that ran and failed. */
    public static final int FAILED = 1;

    private final int exitCode;

    public CommandFailure(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public CommandFailure(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
