package io.wasminference.jobs.deploy;

import io.wasminference.sql.SqlScript;

import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs a SQL script as a program on a Flink whose class path is only Flink's jars, wasmtime-java and the provider jar
 * ({@link SqlProviderJarITCase} starts it in its own JVM with exactly that class path).
 */
public final class ProviderJarMain {
    private ProviderJarMain() {}

    public static void main(String[] args) throws Exception {
        TableEnvironment tables = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        SqlScript.run(Files.readString(Path.of(args[0])), tables, System.out);
    }
}
