package io.wasminference.sql;

import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** examples/classify.sql runs as the README says and gives the digits' true labels. */
@Timeout(300)
class ExampleScriptITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @Test
    void theClassifyExampleLabelsTheEightDigitsAndReportsTheBadRow() throws Exception {
        String script = Files.readString(Path.of("..", "examples", "classify.sql"));
        assertThat(SqlScript.statements(script)).hasSize(3);
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        List<Row> rows = SqlScript.run(script, MlPredictITCase.tableEnv(),
                new PrintStream(printed, true, StandardCharsets.UTF_8));
        assertThat(rows).hasSize(9);
        for (Row r : rows) {
            if (r.getField(0).equals("too-short")) {
                assertThat(r.getField(2)).isNull();
                assertThat((String) r.getField(4)).contains("has 3 values; input pixels f32 64 takes 64");
            } else {
                assertThat(r.getField(2)).as("label of %s", r.getField(0)).isEqualTo(r.getField(1));
                assertThat(r.getField(4)).isNull();
            }
        }
        assertThat(printed.toString()).contains("id | truth | label | score | error", "(9 rows)");
    }
}
