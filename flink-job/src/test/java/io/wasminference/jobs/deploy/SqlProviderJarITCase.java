package io.wasminference.jobs.deploy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The SQL provider jar ({@code sql/target/wasm-inference-sql-provider.jar}) as a cluster's lib/ would hold it: next
 * to Flink's jars and wasmtime-java, and nothing else of this project. examples/classify.sql runs in a class loader
 * made of exactly that (its own JVM), so the jar must carry the runtime, the compiler and their libraries itself.
 */
@Timeout(300)
class SqlProviderJarITCase {
    /** Libraries the provider jar must bundle (a Flink lib/ does not have them), so the class loader leaves them out. */
    private static final List<String> BUNDLED = List.of("/wasm-inference-", "/com/fasterxml/jackson/",
            "/com/google/protobuf/", "/org/tribuo/");

    private static Path providerJar() {
        Path jar = LocalCluster.repositoryRoot().resolve("sql/target/wasm-inference-sql-provider.jar");
        assertThat(jar).as("the provider jar (built by `mvn package` of sql/)").exists();
        return jar;
    }

    @Test
    void carriesTheProviderAndItsLibrariesButNotFlinkNorWasmtime() throws Exception {
        Set<String> entries;
        try (JarFile f = new JarFile(providerJar().toFile())) {
            entries = f.stream().map(e -> e.getName()).collect(Collectors.toSet());
            assertThat(new String(f.getInputStream(f.getEntry(
                    "META-INF/services/org.apache.flink.table.factories.Factory")).readAllBytes(),
                    StandardCharsets.UTF_8)).contains("io.wasminference.sql.WasmModelProviderFactory");
        }
        assertThat(entries).contains("io/wasminference/sql/WasmModelProviderFactory.class",
                "io/wasminference/runtime/WasmModel.class", "io/wasminference/compiler/OnnxCompiler.class",
                "com/fasterxml/jackson/databind/ObjectMapper.class", "com/google/protobuf/Message.class");
        assertThat(entries).noneMatch(e -> e.startsWith("org/apache/flink/") || e.startsWith("org/slf4j/")
                || e.startsWith("io/github/kawamuray/wasmtime/") || e.startsWith("samples/"));
    }

    @Test
    void theClassifyExampleRunsWithOnlyFlinksJarsWasmtimeJavaAndTheProviderJar(@TempDir Path dir) throws Exception {
        List<String> classPath = new ArrayList<>(List.of(providerJar().toString(),
                Path.of(ProviderJarMain.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString()));
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String p = entry.replace(File.separatorChar, '/');
            if (p.endsWith(".jar") && BUNDLED.stream().noneMatch(p::contains)) {
                classPath.add(entry); // Flink, wasmtime-java, logging, ...
            }
        }
        Path root = LocalCluster.repositoryRoot();
        Path script = dir.resolve("classify.sql");
        Files.writeString(script, Files.readString(root.resolve("examples/classify.sql"))
                .replace("classpath:samples/digits-mlp/model.wasm",
                        root.resolve("samples/src/main/resources/samples/digits-mlp/model.wasm").toString()));
        Path log = dir.resolve("out.log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "--add-opens", "java.base/java.util=ALL-UNNAMED", "--add-opens",
                "java.base/java.lang=ALL-UNNAMED", "-Dlog4j2.level=WARN", "-verbose:class",
                ProviderJarMain.class.getName(), script.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("CLASSPATH", String.join(File.pathSeparator, classPath));
        Process p = pb.start();
        assertThat(p.waitFor(4, TimeUnit.MINUTES)).as("finished in time").isTrue();
        String printed = Files.readString(log);
        assertThat(p.exitValue()).as(printed.substring(Math.max(0, printed.length() - 4000))).isZero();
        assertThat(printed).contains("+I[digits-mlp-test-00000, 2, 2, ", "+I[digits-mlp-test-00007, 9, 9, ",
                "+I[too-short, -1, null, null, column pixels has 3 values", "(9 rows)");
        // The project's classes came from the provider jar (lambdas name their defining class instead of a file).
        Matcher loaded = Pattern.compile(
                "\\[class,load] io\\.wasminference\\.(sql|runtime|operator)\\.\\S+ source: (?:file|jar):(\\S+)").matcher(printed);
        int n = 0;
        while (loaded.find()) {
            n++;
            assertThat(loaded.group(2)).endsWith("wasm-inference-sql-provider.jar");
        }
        assertThat(n).as("classes of the provider loaded").isPositive();
    }
}
