package io.wasminference.jobs;

import io.wasminference.jobs.cli.UsageException;
import io.wasminference.jobs.sql.LocalSql;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code sql -f FILE | -e STATEMENTS}: a SQL script on a local Flink. Only plain types here: the Table API is loaded
 * when the command runs ({@link LocalSql}), so the thin job jar, whose cluster may have no Table API in lib/, can
 * still build the command line.
 */
@Command(name = "sql",
        customSynopsis = "${COMMAND-FULL-NAME} -f FILE | -e STATEMENTS [OPTION]...",
        description = {
    "Run a Flink SQL script on a local Flink, with the wasm model provider.",
    "",
    "CREATE MODEL ... WITH ('provider' = 'wasm', ...) and ML_PREDICT work as in docs/sql.md; Kafka tables (format "
            + "json) too. Statements are separated by ';'. A query prints its rows, an INSERT waits for its job "
            + "(bounded inputs end). Example: sql -f examples/classify.sql"})
final class SqlCommand implements Callable<Integer> {
    private final PrintStream out;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "the script to run")
    Path file;

    @Option(names = {"-e", "--execute"}, paramLabel = "STATEMENTS", description = "statements to run, instead of -f")
    String statements;

    @Option(names = "--parallelism", paramLabel = "N", defaultValue = "2",
            description = "default parallelism of the queries (default ${DEFAULT-VALUE})")
    int parallelism;

    SqlCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() throws Exception {
        if ((file == null) == (statements == null)) {
            throw new UsageException("give the statements with either -f FILE or -e STATEMENTS");
        }
        if (parallelism < 1) {
            throw new UsageException("--parallelism must be at least 1, got " + parallelism);
        }
        String script = file != null ? Files.readString(file, StandardCharsets.UTF_8) : statements;
        LocalSql.run(script, parallelism, out);
        return 0;
    }
}
