package io.wasminference.testutils;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The execution environment of every test job: the test's settings plus {@code pipeline.generic-types: false}, so
 * a type that would fall back to Kryo fails the job instead of being serialized generically (every record and
 * state type has an explicit serializer).
 */
public final class TestEnvironments {
    private TestEnvironments() {}

    public static StreamExecutionEnvironment env() {
        return env(new Configuration());
    }

    public static StreamExecutionEnvironment env(Configuration conf) {
        Configuration c = new Configuration(conf);
        c.set(PipelineOptions.GENERIC_TYPES, false);
        return StreamExecutionEnvironment.getExecutionEnvironment(c);
    }
}
