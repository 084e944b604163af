package io.wasminference.jobs.deploy;

import io.wasminference.jobs.kafka.InferenceJobOptions;
import io.wasminference.jobs.kafka.JobOptions;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ClusterOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.FallbackKey;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What every Flink configuration of this project (the local cluster's config.yaml, the FlinkDeployment's
 * flinkConfiguration, compose's FLINK_PROPERTIES) must hold for the job, checked with Flink's own option types.
 */
final class FlinkSettings {
    /** Keys no Flink jar on the test classpath declares: the Kubernetes operator's, flink-kubernetes', reporters'. */
    private static final List<String> FOREIGN_PREFIXES = List.of("kubernetes.", "metrics.reporter.");

    private static Set<String> knownKeys;

    private FlinkSettings() {}

    /** Fails on a key Flink does not know (a typo is silently ignored by Flink, so it must fail here). */
    static void assertKnownKeys(String where, Map<String, String> conf) {
        Set<String> known = knownKeys();
        for (String key : conf.keySet()) {
            if (FOREIGN_PREFIXES.stream().noneMatch(key::startsWith)) {
                assertThat(known).as(where + ": '" + key + "' is not a Flink " + flinkVersion() + " option")
                        .contains(key);
            }
        }
    }

    /**
     * The settings the job needs: wasmtime-java loaded parent-first, checkpoint and savepoint storage, user code
     * unable to end the JVM, a TaskManager memory model Flink accepts whose task off-heap budget holds one wasm
     * memory limit per slot.
     */
    static TaskExecutorProcessSpec assertWhatTheJobNeeds(String where, Map<String, String> conf, JobOptions job) {
        return assertWhatTheJobNeeds(where, conf, job, true);
    }

    /** As above; {@code wasmtimeInLib} false for a cluster that loads wasmtime-java from the job jar. */
    static TaskExecutorProcessSpec assertWhatTheJobNeeds(String where, Map<String, String> conf, JobOptions job,
            boolean wasmtimeInLib) {
        Configuration c = Configuration.fromMap(conf);
        if (wasmtimeInLib) {
            assertThat(c.get(CoreOptions.ALWAYS_PARENT_FIRST_LOADER_PATTERNS_ADDITIONAL)).as(where + " parent-first")
                    .contains("io.github.kawamuray.wasmtime");
        }
        assertThat(c.getOptional(CheckpointingOptions.CHECKPOINTS_DIRECTORY)).as(where + " checkpoint storage")
                .isPresent();
        assertThat(c.getOptional(CheckpointingOptions.SAVEPOINT_DIRECTORY)).as(where + " savepoint storage")
                .isPresent();
        assertThat(c.get(ClusterOptions.INTERCEPT_USER_SYSTEM_EXIT))
                .as(where + " " + ClusterOptions.INTERCEPT_USER_SYSTEM_EXIT.key())
                .isEqualTo(ClusterOptions.UserSystemExitMode.THROW);
        assertThat(job.get(InferenceJobOptions.CHECKPOINT_MS))
                .as(where + " --checkpoint-ms (exactly-once commits on checkpoints)")
                .isPositive();

        TaskExecutorProcessSpec spec = TaskExecutorProcessUtils.processSpecFromConfig(c); // throws if inconsistent
        int slots = c.get(TaskManagerOptions.NUM_TASK_SLOTS);
        MemorySize wasm = MemorySize.ofMebiBytes((long) job.get(InferenceJobOptions.MEMORY_MIB) * slots);
        assertThat(spec.getTaskOffHeapSize().getBytes())
                .as(where + ": taskmanager.memory.task.off-heap.size %s must hold --memory-mib %d x %d slots = %s",
                        spec.getTaskOffHeapSize().toHumanReadableString(), job.get(InferenceJobOptions.MEMORY_MIB),
                        slots,
                        wasm.toHumanReadableString())
                .isGreaterThanOrEqualTo(wasm.getBytes());
        return spec;
    }

    static String flinkVersion() {
        return org.apache.flink.runtime.util.EnvironmentInformation.getVersion();
    }

    private static synchronized Set<String> knownKeys() {
        if (knownKeys != null) {
            return knownKeys;
        }
        Set<String> keys = new TreeSet<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            File f = new File(entry);
            if (!f.getName().startsWith("flink-") || !f.getName().endsWith(".jar")) {
                continue;
            }
            try (JarFile jar = new JarFile(f)) {
                for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                    String name = e.nextElement().getName();
                    if (name.endsWith("Options.class") && !name.contains("$")) {
                        collect(name.substring(0, name.length() - 6).replace('/', '.'), keys);
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot read " + f, e);
            }
        }
        assertThat(keys).as("option keys found in Flink's jars").contains(CoreOptions.DEFAULT_PARALLELISM.key());
        knownKeys = keys;
        return keys;
    }

    private static void collect(String className, Set<String> keys) {
        List<Field> fields = new ArrayList<>();
        try {
            Class<?> c = Class.forName(className, false, FlinkSettings.class.getClassLoader());
            for (Field f : c.getFields()) {
                if (Modifier.isStatic(f.getModifiers()) && ConfigOption.class.isAssignableFrom(f.getType())) {
                    fields.add(f);
                }
            }
            for (Field f : fields) {
                ConfigOption<?> o = (ConfigOption<?>) f.get(null);
                keys.add(o.key());
                for (FallbackKey k : o.fallbackKeys()) {
                    keys.add(k.getKey());
                }
            }
        } catch (Throwable e) {
            // Not loadable without optional dependencies: its options cannot be used here either.
        }
    }
}
