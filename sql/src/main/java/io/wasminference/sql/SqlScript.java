package io.wasminference.sql;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.ResultKind;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a SQL script (statements separated by {@code ;}, {@code --} comments) on a table environment, as Flink's
 * SQL client would: a query's rows are printed, an INSERT waits for its job. The {@code sql} command of the tool jar
 * uses it; so do the tests of {@code examples/*.sql}.
 */
@PublicEvolving
public final class SqlScript {
    private SqlScript() {}

    /** The statements of a script, comments and blank ones removed. */
    public static List<String> statements(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!quoted && c == '-' && i + 1 < text.length() && text.charAt(i + 1) == '-') {
                while (i < text.length() && text.charAt(i) != '\n') {
                    i++;
                }
                cur.append('\n');
                continue;
            }
            if (c == '\'') {
                quoted = !quoted;
            }
            if (c == ';' && !quoted) {
                add(out, cur);
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        add(out, cur);
        return out;
    }

    private static void add(List<String> out, StringBuilder s) {
        String st = s.toString().strip();
        if (!st.isEmpty()) {
            out.add(st);
        }
    }

    /** Runs every statement; returns the rows of the last query (also printed to {@code out}). */
    public static List<Row> run(String text, TableEnvironment t, PrintStream out) throws Exception {
        List<Row> last = List.of();
        for (String statement : statements(text)) {
            TableResult r = t.executeSql(statement);
            if (r.getResultKind() == ResultKind.SUCCESS_WITH_CONTENT && r.getJobClient().isPresent()) {
                List<Row> rows = new ArrayList<>();
                try (CloseableIterator<Row> it = r.collect()) {
                    it.forEachRemaining(rows::add);
                }
                out.println(String.join(" | ", r.getResolvedSchema().getColumnNames()));
                rows.forEach(row -> out.println(row.toString()));
                out.println("(" + rows.size() + " rows)");
                last = rows;
            } else if (r.getJobClient().isPresent()) {
                r.await(); // INSERT: its job runs to the end of a bounded input
                out.println("job " + r.getJobClient().get().getJobID() + " finished");
            } else {
                out.println("OK " + firstLine(statement));
            }
        }
        return last;
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl) + " ...";
    }
}
