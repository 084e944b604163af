package io.wasminference.jobs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code sql -f examples/classify.sql} as the README and the script's header say, run in-process through main's path. */
@Timeout(300)
class SqlCommandITCase {
    private static final Path EXAMPLE = Path.of("..", "examples", "classify.sql");
    /** A printed row: {@code +I[id, truth, label, score, error]}. */
    private static final Pattern ROW = Pattern.compile("(?m)^\\+I\\[([^,]+), (-?\\d+), (\\w+), (\\S+), (.*)]$");

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) throws Exception {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void theClassifyExamplePrintsTheTrueLabelOfEveryDigitAndTheBadRowsReason() throws Exception {
        assertThat(run("sql", "-f", EXAMPLE.toString(), "--parallelism", "1")).as(err.toString()).isZero();
        String printed = out.toString();
        assertThat(printed).contains("OK CREATE TEMPORARY MODEL digits", "id | truth | label | score | error",
                "(9 rows)");
        Matcher m = ROW.matcher(printed);
        int digits = 0;
        boolean badRow = false;
        while (m.find()) {
            if (m.group(1).equals("too-short")) {
                badRow = true;
                assertThat(m.group(3)).isEqualTo("null");
                assertThat(m.group(5)).contains("has 3 values; input pixels f32 64 takes 64");
            } else {
                digits++;
                assertThat(m.group(3)).as("label of %s", m.group(1)).isEqualTo(m.group(2));
                assertThat(Float.parseFloat(m.group(4))).isBetween(0f, 1f);
                assertThat(m.group(5)).isEqualTo("null");
            }
        }
        assertThat(digits).as(printed).isEqualTo(8);
        assertThat(badRow).isTrue();
    }

    @Test
    void aStatementFlinkRefusesEndsWithItsReasonAndExitCode1() throws Exception {
        assertThat(run("sql", "-e", "CREATE TEMPORARY VIEW v AS SELECT 1; SELECT * FROM missing_table")).isEqualTo(1);
        assertThat(err.toString()).contains("error: statement 2 of 2 failed: SELECT * FROM missing_table",
                "missing_table").doesNotContain("\tat ");
        assertThat(out.toString()).contains("OK CREATE TEMPORARY VIEW v AS SELECT 1");
    }

    @Test
    void aModelTheSandboxRefusesIsRefusedAtCreateModelTime() throws Exception {
        Path hostile = Path.of("..", "operator", "src", "test", "resources", "wasm", "wasi_import.wasm");
        assertThat(run("sql", "-e", "CREATE TEMPORARY MODEL m INPUT (x ARRAY<FLOAT>) OUTPUT (y ARRAY<FLOAT>) "
                + "WITH ('provider' = 'wasm', 'uri' = '" + hostile.toAbsolutePath() + "');"
                + "CREATE TEMPORARY VIEW r AS SELECT * FROM (VALUES (ARRAY[CAST(1 AS FLOAT)])) AS t(x);"
                + "SELECT * FROM ML_PREDICT(TABLE r, MODEL m, DESCRIPTOR(x))")).isEqualTo(1);
        assertThat(err.toString()).contains("failed: SELECT * FROM ML_PREDICT", "wasi_snapshot_preview1")
                .doesNotContain("\tat ");
    }

    @Test
    void usageErrorsNameTheMistakeAndPrintTheUsage() throws Exception {
        for (List<String> args : List.of(List.of("sql"), List.of("sql", "-f", "a.sql", "-e", "SELECT 1"),
                List.of("sql", "-e", "SELECT 1", "--parallelism", "0"))) {
            err.reset();
            assertThat(run(args.toArray(String[]::new))).as(args.toString()).isEqualTo(Main.USAGE_ERROR);
            assertThat(err.toString()).startsWith("error: ").contains("usage: java -jar wasm-inference-jobs.jar sql")
                    .doesNotContain("\tat ");
        }
        err.reset();
        assertThat(run("sql", "-f", "no-such.sql")).isEqualTo(2);
        assertThat(err.toString()).contains("no such file: no-such.sql");
    }
}
