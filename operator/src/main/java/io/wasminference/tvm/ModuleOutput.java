package io.wasminference.tvm;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.function.LongSupplier;

/**
 * What a module writes to stdout and stderr through the {@code fd_write} stub: split into lines, each line cut at
 * {@link #MAX_LINE_BYTES}, logged at most {@link #LINES_PER_WINDOW} lines per {@link #WINDOW_NANOS} per instance
 * (the rest counted and reported with the next logged line), and the last {@link #TAIL_CHARS} characters kept for
 * error messages: a Rust panic prints its message to stderr just before it traps. Memory use is bounded whatever
 * the module writes. Not thread-safe: one per live instance.
 */
public final class ModuleOutput {
    private static final Logger LOG = LoggerFactory.getLogger(ModuleOutput.class);

    public static final int MAX_LINE_BYTES = 1024;
    public static final int LINES_PER_WINDOW = 10;
    public static final long WINDOW_NANOS = 10_000_000_000L;
    public static final int TAIL_CHARS = 512;

    private final String model;
    private final LongSupplier clock;
    private final byte[] line = new byte[MAX_LINE_BYTES];
    private int lineLength;
    private boolean lineCut;
    private final StringBuilder tail = new StringBuilder();
    private long windowStart;
    private int loggedInWindow;
    private long suppressed;
    private long totalBytes;

    public ModuleOutput(String model) {
        this(model, System::nanoTime);
    }

    public ModuleOutput(String model, LongSupplier clock) {
        this.model = model;
        this.clock = clock;
        this.windowStart = clock.getAsLong();
    }

    /** Takes {@code length} bytes the module wrote to {@code fd} (1 or 2). */
    public void write(int fd, byte[] bytes, int offset, int length) {
        totalBytes += length;
        for (int i = offset; i < offset + length; i++) {
            byte c = bytes[i];
            if (c == '\n') {
                endLine(fd);
            } else if (lineLength < MAX_LINE_BYTES) {
                line[lineLength++] = c;
            } else {
                lineCut = true;
            }
        }
    }

    private void endLine(int fd) {
        String text = new String(line, 0, lineLength, StandardCharsets.UTF_8) + (lineCut ? " [cut]" : "");
        lineLength = 0;
        lineCut = false;
        tail.append(text).append('\n');
        if (tail.length() > TAIL_CHARS) {
            tail.delete(0, tail.length() - TAIL_CHARS);
        }
        long now = clock.getAsLong();
        if (now - windowStart >= WINDOW_NANOS) {
            windowStart = now;
            loggedInWindow = 0;
        }
        if (loggedInWindow >= LINES_PER_WINDOW) {
            suppressed++;
            return;
        }
        loggedInWindow++;
        String more = suppressed == 0 ? "" : " (" + suppressed + " earlier lines not logged: rate limit)";
        suppressed = 0;
        LOG.info("model {} {}: {}{}", model, fd == 2 ? "stderr" : "stdout", text, more);
    }

    /** The last lines written (and a line not yet ended), at most about {@link #TAIL_CHARS} characters. */
    public String tail() {
        String pending = new String(line, 0, lineLength, StandardCharsets.UTF_8);
        return (tail + pending).strip();
    }

    /** Bytes written so far, kept or not. */
    public long totalBytes() {
        return totalBytes;
    }

    /** Lines not logged because of the rate limit since the last logged one. */
    public long suppressed() {
        return suppressed;
    }
}
