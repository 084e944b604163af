package io.wasminference.jobs.local;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.scheduler.exceptionhistory.RootExceptionHistoryEntry;
import org.apache.flink.util.SerializedThrowable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Watches a job on a local MiniCluster until it ends, printing what a user must see at once: status changes, and
 * every task failure with its cause (from the job's exception history) and whether the job restarts.
 */
final class JobWatcher {
    private static final Logger LOG = LoggerFactory.getLogger(JobWatcher.class);
    private static final long POLL_MILLIS = 250;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss")
            .withZone(ZoneId.systemDefault());

    private final JobClient job;
    private final MiniCluster cluster;
    private final int maxRestarts;
    private final PrintStream out;
    private int failuresShown;
    private long lastShownMillis = Long.MIN_VALUE;

    JobWatcher(JobClient job, MiniCluster cluster, int maxRestarts, PrintStream out) {
        this.job = job;
        this.cluster = cluster;
        this.maxRestarts = maxRestarts;
        this.out = out;
    }

    /** Blocks until the job is globally terminal; returns its final status. */
    JobStatus awaitEnd() throws InterruptedException {
        JobStatus shown = null;
        while (true) {
            JobStatus status;
            try {
                status = job.getJobStatus().get();
            } catch (ExecutionException e) {
                break; // the cluster shuts down once the job ended; the result below says how
            }
            showFailures();
            if (status != shown && status != JobStatus.INITIALIZING && status != JobStatus.CREATED) {
                say("job " + status);
                shown = status;
            }
            if (status.isGloballyTerminalState()) {
                break;
            }
            TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
        }
        try {
            job.getJobExecutionResult().get();
            return JobStatus.FINISHED;
        } catch (ExecutionException e) {
            say("the job failed after " + Math.max(0, failuresShown - 1) + " restarts: " + describe(e.getCause()));
            return JobStatus.FAILED;
        }
    }

    private void showFailures() {
        List<RootExceptionHistoryEntry> history = new ArrayList<>();
        try {
            cluster.getExecutionGraphInfo(job.getJobID()).get(10, TimeUnit.SECONDS).getExceptionHistory()
                    .forEach(history::add);
        } catch (Exception e) {
            return; // not there yet, or the cluster is going down; the next poll or the result will tell
        }
        // The history lists the newest failure first and keeps only the latest few (web.exception-history-size).
        for (int i = history.size() - 1; i >= 0; i--) {
            RootExceptionHistoryEntry entry = history.get(i);
            if (entry.getTimestamp() <= lastShownMillis) {
                continue;
            }
            lastShownMillis = entry.getTimestamp();
            failuresShown++;
            String task = entry.getFailingTaskName() == null ? "the job" : entry.getFailingTaskName();
            String next = failuresShown <= maxRestarts
                    ? "restarting from the last checkpoint (restart " + failuresShown + " of at most " + maxRestarts
                            + ")"
                    : "no restarts left (--restart-attempts " + maxRestarts + ")";
            say("failure at " + TIME.format(Instant.ofEpochMilli(entry.getTimestamp())) + " in " + task + ": "
                    + describe(entry.getException()) + "\n  " + next);
        }
    }

    private void say(String line) {
        LOG.warn(line);
        out.println(line);
    }

    /**
     * One line per distinct message along the cause chain, outermost first: enough to tell what failed without
     * Flink's wrapper stack traces.
     */
    static String describe(Throwable t) {
        Set<String> lines = new LinkedHashSet<>();
        for (Throwable c = t; c != null && lines.size() < 6; c = c.getCause()) {
            String cls = c instanceof SerializedThrowable s ? s.getOriginalErrorClassName() : c.getClass().getName();
            String message = firstLine(c, cls);
            String simple = cls.substring(cls.lastIndexOf('.') + 1);
            if (!message.isEmpty() && lines.stream().noneMatch(l -> l.endsWith(": " + message))) {
                lines.add(simple + ": " + message);
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return lines.isEmpty() ? t.getClass().getName() : String.join("\n    caused by ", lines);
    }

    private static String firstLine(Throwable c, String cls) {
        String message = c.getMessage() == null ? "" : c.getMessage().lines().findFirst().orElse("");
        if (c instanceof SerializedThrowable && message.startsWith(cls + ": ")) {
            message = message.substring(cls.length() + 2); // SerializedThrowable's message repeats the class
        }
        return message.length() > 400 ? message.substring(0, 400) + " ..." : message;
    }
}
