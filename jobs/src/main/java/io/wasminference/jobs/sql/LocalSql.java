package io.wasminference.jobs.sql;

import io.wasminference.jobs.cli.CommandFailure;
import io.wasminference.sql.SqlScript;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;

import java.io.PrintStream;
import java.util.List;

/** The tool's {@code sql} command: a script ({@link SqlScript}) on a table environment over a local MiniCluster. */
public final class LocalSql {
    private LocalSql() {}

    /**
     * Runs every statement of {@code script} in a fresh local Flink with this default parallelism, printing as
     * {@link SqlScript} does; returns the rows of the last query. A statement Flink refuses or a job that fails ends
     * the script with a {@link CommandFailure} naming the statement and Flink's reason, without a stack trace.
     */
    public static List<Row> run(String script, int parallelism, PrintStream out) {
        List<String> statements = SqlScript.statements(script);
        if (statements.isEmpty()) {
            throw new CommandFailure(CommandFailure.REFUSED, "the script has no statements");
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism,
                new Configuration());
        StreamTableEnvironment tables = StreamTableEnvironment.create(env);
        List<Row> last = List.of();
        for (int i = 0; i < statements.size(); i++) {
            String statement = statements.get(i);
            try {
                List<Row> rows = SqlScript.run(statement, tables, out);
                if (!rows.isEmpty() || isQuery(statement)) {
                    last = rows;
                }
            } catch (Exception e) {
                throw new CommandFailure(CommandFailure.FAILED, "statement " + (i + 1) + " of " + statements.size()
                        + " failed: " + firstLine(statement) + "\n  " + reasons(e), e);
            }
        }
        return last;
    }

    private static boolean isQuery(String statement) {
        String s = statement.stripLeading().toUpperCase(java.util.Locale.ROOT);
        return s.startsWith("SELECT") || s.startsWith("WITH") || s.startsWith("VALUES");
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl) + " ...";
    }

    /** The messages of an exception and its causes, each once: Flink wraps the reason that matters deep down. */
    static String reasons(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && !m.isBlank() && sb.indexOf(m.strip()) < 0) {
                sb.append(sb.length() == 0 ? "" : "\n  caused by: ").append(m.strip());
            }
        }
        return sb.length() == 0 ? e.getClass().getName() : sb.toString();
    }
}
