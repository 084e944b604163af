package io.wasminference.jobs.deploy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * examples/classify.sql with Flink's own SQL client on the multi-process local cluster ({@code deploy/local/cluster.sh
 * start --sql sql/target/wasm-inference-sql-provider.jar}): the provider jar in lib/ is all it takes for
 * {@code CREATE MODEL ... 'provider' = 'wasm'} to plan in the client and to run on the TaskManagers.
 */
@Timeout(600)
class SqlClientITCase {

    @Test
    void theClassifyExampleRunsInFlinksSqlClientAgainstTheCluster(@TempDir Path tmp) throws Exception {
        Path root = LocalCluster.repositoryRoot();
        Path provider = root.resolve("sql/target/wasm-inference-sql-provider.jar");
        assertThat(provider).as("the provider jar (built by `mvn package` of sql/)").exists();
        // The cluster's class path has no samples: the script names the model by its file.
        Path script = tmp.resolve("classify.sql");
        Files.writeString(script, Files.readString(root.resolve("examples/classify.sql"))
                .replace("classpath:samples/digits-mlp/model.wasm",
                        root.resolve("samples/src/main/resources/samples/digits-mlp/model.wasm").toString()));
        Path init = tmp.resolve("init.sql");
        Files.writeString(init, "SET 'sql-client.execution.result-mode' = 'tableau';\n");
        try (LocalCluster cluster = LocalCluster.start(root, tmp.resolve("cluster"), "--no-kafka",
                "--taskmanagers", "1", "--sql", provider.toString())) {
            LocalCluster.Result r = cluster.sqlClient("-i", init.toString(), "-f", script.toString());
            assertThat(r.exitCode()).as(r.output()).isZero();
            assertThat(r.output()).doesNotContain("[ERROR]")
                    .containsPattern("\\| \\+I \\|\\s+digits-mlp-test-00000 \\|\\s+2 \\|\\s+2 \\|")
                    .containsPattern("\\| \\+I \\|\\s+digits-mlp-test-00007 \\|\\s+9 \\|\\s+9 \\|")
                    .containsPattern("\\| \\+I \\|\\s+too-short \\|\\s+-1 \\|\\s+<NULL> \\|\\s+<NULL> \\| column pixels has 3")
                    .contains("Received a total of 9 rows");
            // The query ran as a job of this cluster, not in the client's JVM.
            assertThat(Files.readString(tmp.resolve("cluster/log/jobmanager.log")))
                    .contains("ML_PREDICT");
        }
    }
}
