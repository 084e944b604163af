package io.wasminference.sql;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasminference.testutils.Fixtures;

import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** ML_PREDICT with the wasm provider on a real MiniCluster, over the sample models' held-out sets. */
@Timeout(300)
class MlPredictITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Table environments by the stream environment they were made from (tables from streams need it). */
    private static final Map<StreamTableEnvironment, StreamExecutionEnvironment> ENVS = new HashMap<>();

    static StreamTableEnvironment tableEnv() {
        org.apache.flink.configuration.Configuration conf = new org.apache.flink.configuration.Configuration();
        conf.set(org.apache.flink.configuration.PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        StreamTableEnvironment t = StreamTableEnvironment.create(env);
        ENVS.put(t, env);
        return t;
    }

    /** The digits test set as a table (id STRING, pixels ARRAY<FLOAT>), labels kept aside. */
    static Table digits(StreamTableEnvironment t, Map<String, Integer> labels, List<Row> extra) throws Exception {
        List<Row> rows = new ArrayList<>();
        for (String line : Fixtures.sampleLines("digits-mlp", "test.jsonl.gz")) {
            JsonNode n = JSON.readTree(line);
            Float[] px = new Float[n.get("data").size()];
            for (int i = 0; i < px.length; i++) {
                px[i] = (float) n.get("data").get(i).asDouble();
            }
            labels.put(n.get("id").asText(), n.get("label").asInt());
            rows.add(Row.of(n.get("id").asText(), px));
        }
        rows.addAll(extra);
        // a stream, not VALUES: a literal cannot hold NaN
        org.apache.flink.api.common.typeinfo.TypeInformation<Row> type = org.apache.flink.api.common.typeinfo.Types
                .ROW_NAMED(new String[] {"id", "pixels"}, org.apache.flink.api.common.typeinfo.Types.STRING,
                        org.apache.flink.api.common.typeinfo.Types.OBJECT_ARRAY(
                                org.apache.flink.api.common.typeinfo.Types.FLOAT));
        return t.fromDataStream(ENVS.get(t).fromData(type, rows.toArray(Row[]::new)));
    }

    static String createModel(String extraOptions) {
        return "CREATE TEMPORARY MODEL digits INPUT (pixels ARRAY<FLOAT>) "
                + "OUTPUT (label INT, label_name STRING, score FLOAT, logits ARRAY<FLOAT>, model_version STRING, error STRING) "
                + "WITH ('provider' = 'wasm', 'uri' = 'classpath:samples/digits-mlp/model.wasm', 'batch-size' = '32', "
                + "'max-delay' = '5 ms'" + extraOptions + ")";
    }

    static List<Row> collect(StreamTableEnvironment t, String sql) throws Exception {
        List<Row> out = new ArrayList<>();
        try (CloseableIterator<Row> it = t.executeSql(sql).collect()) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    @Test
    void batchedPredictionsEqualTheOperatorsAccuracyAndBadRowsGetNullsAndAReason() throws Exception {
        StreamTableEnvironment t = tableEnv();
        Map<String, Integer> labels = new HashMap<>();
        Float[] nan = new Float[64];
        java.util.Arrays.fill(nan, 1f);
        nan[3] = Float.NaN;
        t.createTemporaryView("requests", digits(t, labels, List.of(Row.of("short", new Float[] {1f, 2f}),
                Row.of("nan", nan))));
        t.executeSql(createModel(""));
        List<Row> rows = collect(t, "SELECT id, label, label_name, score, logits, model_version, error "
                + "FROM ML_PREDICT(TABLE requests, MODEL digits, DESCRIPTOR(pixels), "
                + "MAP['async', 'true', 'max-concurrent-operations', '64'])");
        assertThat(rows).hasSize(362);
        int correct = 0;
        Map<String, Row> byId = new HashMap<>();
        for (Row r : rows) {
            byId.put((String) r.getField(0), r);
            Integer expected = labels.get((String) r.getField(0));
            if (expected != null && expected.equals(r.getField(1))) {
                correct++;
            }
        }
        assertThat(correct).isEqualTo(354); // the operator's and PyTorch's 354/360
        Row ok = byId.get(rows.stream().map(r -> (String) r.getField(0)).filter(labels::containsKey).findFirst()
                .orElseThrow());
        assertThat((Float[]) ok.getField(4)).hasSize(10);
        assertThat(ok.getField(2)).isEqualTo(String.valueOf(ok.getField(1)));
        assertThat((Float) ok.getField(3)).isBetween(0f, 1f);
        assertThat((String) ok.getField(5)).startsWith("digits-mlp:1.0.0:");
        assertThat(ok.getField(6)).isNull();
        assertThat(byId.get("short").getField(1)).isNull();
        assertThat((String) byId.get("short").getField(6)).contains("has 2 values; input pixels f32 64 takes 64");
        assertThat(byId.get("nan").getField(4)).isNull();
        assertThat((String) byId.get("nan").getField(6)).contains("INVALID_INPUT");
    }

    @Test
    void theSynchronousFunctionGivesTheSameAnswers() throws Exception {
        StreamTableEnvironment t = tableEnv();
        Map<String, Integer> labels = new HashMap<>();
        t.createTemporaryView("requests", digits(t, labels, List.of()));
        t.executeSql(createModel(""));
        List<Row> rows = collect(t, "SELECT id, label FROM ML_PREDICT(TABLE requests, MODEL digits, "
                + "DESCRIPTOR(pixels), MAP['async', 'false'])");
        long correct = rows.stream().filter(r -> labels.get((String) r.getField(0)).equals(r.getField(1))).count();
        assertThat(correct).isEqualTo(354);
    }

    @Test
    void labelAsBigintAndScoreAsDoubleCarryThoseTypes() throws Exception {
        StreamTableEnvironment t = tableEnv();
        Map<String, Integer> labels = new HashMap<>();
        t.createTemporaryView("requests", digits(t, labels, List.of()));
        t.executeSql("CREATE TEMPORARY MODEL wide INPUT (pixels ARRAY<FLOAT>) OUTPUT (label BIGINT, score DOUBLE) "
                + "WITH ('provider' = 'wasm', 'uri' = 'classpath:samples/digits-mlp/model.wasm')");
        List<Row> rows = collect(t, "SELECT id, label, score FROM ML_PREDICT(TABLE requests, MODEL wide, "
                + "DESCRIPTOR(pixels), MAP['async', 'false'])");
        long correct = rows.stream().filter(r -> r.getField(1).equals((long) labels.get((String) r.getField(0))))
                .count();
        assertThat(correct).isEqualTo(354);
        assertThat(rows).allSatisfy(r -> assertThat((Double) r.getField(2)).isBetween(0.0, 1.0));
    }

    @Test
    void onErrorFailFailsTheQueryNamingTheRow() throws Exception {
        StreamTableEnvironment t = tableEnv();
        // VALUES (one task, no source coordinator whose events could be reported as the failure instead)
        t.createTemporaryView("requests", t.fromValues(org.apache.flink.table.api.DataTypes.ROW(
                org.apache.flink.table.api.DataTypes.FIELD("id", org.apache.flink.table.api.DataTypes.STRING()),
                org.apache.flink.table.api.DataTypes.FIELD("pixels", org.apache.flink.table.api.DataTypes.ARRAY(
                        org.apache.flink.table.api.DataTypes.FLOAT()))), Row.of("short", new Float[] {1f})));
        t.executeSql(createModel(", 'on-error' = 'fail'"));
        assertThatThrownBy(() -> collect(t, "SELECT id, label FROM ML_PREDICT(TABLE requests, MODEL digits, "
                + "DESCRIPTOR(pixels))"))
                .hasStackTraceContaining("could not answer a row ('on-error' = 'fail'): column pixels has 1 values");
    }

    @Test
    void aDeclaredSchemaThatDoesNotFitTheModuleIsRefusedAtPlanningShowingBoth() {
        StreamTableEnvironment t = tableEnv();
        t.executeSql("CREATE TEMPORARY MODEL bad INPUT (pixels ARRAY<FLOAT>, extra INT) OUTPUT (label INT) "
                + "WITH ('provider' = 'wasm', 'uri' = 'classpath:samples/digits-mlp/model.wasm')");
        t.executeSql("CREATE TEMPORARY VIEW v AS SELECT ARRAY[CAST(1 AS FLOAT)] AS pixels, 1 AS extra");
        assertThatThrownBy(() -> t.explainSql("SELECT * FROM ML_PREDICT(TABLE v, MODEL bad, DESCRIPTOR(pixels, extra))"))
                .hasStackTraceContaining("declares 2 input column(s), the module takes 1 input(s)")
                .hasStackTraceContaining("declared INPUT (pixels ARRAY<FLOAT>, extra INT)")
                .hasStackTraceContaining("module   inputs pixels f32 64");
    }

    @Test
    void aHostileModuleIsRefusedAtPlanning() {
        StreamTableEnvironment t = tableEnv();
        t.executeSql("CREATE TEMPORARY MODEL evil INPUT (x ARRAY<FLOAT>) OUTPUT (y ARRAY<FLOAT>) "
                + "WITH ('provider' = 'wasm', 'uri' = 'classpath:wasm/wasi_import.wasm')");
        t.executeSql("CREATE TEMPORARY VIEW v AS SELECT ARRAY[CAST(1 AS FLOAT)] AS x");
        assertThatThrownBy(() -> t.explainSql("SELECT * FROM ML_PREDICT(TABLE v, MODEL evil, DESCRIPTOR(x))"))
                .hasStackTraceContaining("wasi_snapshot_preview1.fd_write");
    }
}
