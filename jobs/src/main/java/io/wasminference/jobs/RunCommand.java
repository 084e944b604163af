package io.wasminference.jobs;

import io.wasminference.jobs.kafka.InferenceJob;
import io.wasminference.jobs.kafka.JobOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.PrintStream;

/** {@code run ...}: the Kafka inference job, locally under {@code java -jar} or on a cluster via {@code flink run}. */
final class RunCommand {
    static final String USAGE = "run --bootstrap HOST:PORT --model MODEL [options]\n"
            + "    The Kafka -> wasm inference -> Kafka job (exactly-once by default). Options:\n" + help();

    private RunCommand() {}

    static int run(String[] argv, PrintStream out) throws Exception {
        JobOptions options = JobOptions.parse(argv, 1);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.build(env, options);
        out.println("submitting: " + options.inputTopic() + " -> " + options.model() + " -> " + options.outputTopic()
                + " (dead letters: " + options.deadLetterTopic() + ", " + options.delivery() + ")");
        env.execute("wasm-inference " + options.inputTopic() + " -> " + options.outputTopic());
        return 0;
    }

    private static String help() {
        return JobOptions.help();
    }
}
