package io.wasminference.jobs.cli;

/**
 * A command-line mistake (an unknown, missing or malformed option): the tool prints the message and the command's
 * usage, and exits with status 64.
 */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
