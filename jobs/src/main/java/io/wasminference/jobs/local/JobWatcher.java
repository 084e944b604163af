package io.wasminference.jobs.local;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.JobID;
import org.apache.flink.runtime.jobmaster.JobResult;
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
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Watches a job on a local MiniCluster until it ends, printing what a user must see at once: status changes (such
 * as RESTARTING) and every task failure with its cause, from the job's exception history.
 */
final class JobWatcher {
    private static final Logger LOG = LoggerFactory.getLogger(JobWatcher.class);
    private static final long POLL_MILLIS = 500;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss")
            .withZone(ZoneId.systemDefault());

    private final MiniCluster cluster;
    private final JobID job;
    private final int maxRestarts;
    private final PrintStream out;
    private int failuresShown;
    /** Restarts said so far: one per failure that the restart strategy retries. */
    private int restartsShown;
    private long lastShownMillis = Long.MIN_VALUE;
    private String lastShown = "";

    JobWatcher(MiniCluster cluster, JobID job, int maxRestarts, PrintStream out) {
        this.cluster = cluster;
        this.job = job;
        this.maxRestarts = maxRestarts;
        this.out = out;
    }

    /** Blocks until the job is globally terminal; returns its final status. */
    JobStatus awaitEnd() throws Exception {
        JobStatus shown = null;
        JobStatus status;
        do {
            TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
            status = cluster.getJobStatus(job).get();
            showFailures();
            if (status != shown && status != JobStatus.INITIALIZING && status != JobStatus.CREATED) {
                // a restart was said with its failure (a short restart delay can pass between two polls)
                if (status != JobStatus.RESTARTING || restartsShown < failuresShown) {
                    say("job " + status);
                }
                shown = status;
            }
        } while (!status.isGloballyTerminalState());
        JobResult result = cluster.requestJobResult(job).get();
        if (!result.isSuccess()) {
            String cause = result.getSerializedThrowable().map(JobWatcher::describe).orElse("(no cause given)");
            say(failuresShown > 0 && cause.equals(lastShown)
                    ? "the job " + status + " (at most " + maxRestarts + " restarts, --restart-attempts); its last "
                            + "failure is above"
                    : "the job " + status + ": " + cause);
        }
        return result.isSuccess() ? JobStatus.FINISHED : status;
    }

    private void showFailures() {
        List<RootExceptionHistoryEntry> history = new ArrayList<>();
        try {
            cluster.getExecutionGraphInfo(job).get(10, TimeUnit.SECONDS).getExceptionHistory()
                    .forEach(history::add);
        } catch (Exception e) {
            return; // not there yet; the next poll will tell
        }
        // The history keeps only the latest few failures (web.exception-history-size): show the new ones, oldest
        // first.
        history.sort(Comparator.comparingLong(RootExceptionHistoryEntry::getTimestamp));
        for (RootExceptionHistoryEntry entry : history) {
            if (entry.getTimestamp() <= lastShownMillis) {
                continue;
            }
            lastShownMillis = entry.getTimestamp();
            failuresShown++;
            String task = entry.getFailingTaskName() == null ? "the job" : entry.getFailingTaskName();
            lastShown = describe(entry.getException());
            say("failure " + failuresShown + " at " + TIME.format(Instant.ofEpochMilli(entry.getTimestamp()))
                    + " in " + task + ": " + lastShown);
            if (failuresShown <= maxRestarts) {
                restartsShown = failuresShown;
                say("job RESTARTING (restart " + failuresShown + " of at most " + maxRestarts
                        + ", --restart-attempts)");
            }
        }
    }

    private void say(String line) {
        LOG.info(line); // the console has it already: the tool's log config shows warnings
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
