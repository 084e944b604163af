package io.wasminference.jobs.kafka;

import io.wasminference.abi.ModelMetadata;
import io.wasminference.errors.ModelRefusedException;
import io.wasminference.jobs.cli.CommandFailure;
import io.wasminference.runtime.ModelInstance;
import io.wasminference.runtime.WasmModel;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicListing;
import org.apache.kafka.common.errors.AuthorizationException;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What the client checks before it submits the job, so that a mistake fails at once with a message instead of as
 * task failures and restarts: the model loads and passes the sandbox's checks (read and validated; in a local run
 * also compiled and instantiated under the job's limits), Kafka answers, and the input topic exists.
 */
public final class Preflight {
    /** How long the client waits for Kafka to answer. */
    static final long KAFKA_TIMEOUT_SECONDS = 30;

    private Preflight() {}

    /**
     * Runs the checks.
     *
     * @param modelMustLoadHere true when this JVM runs the job (a local run): the model is compiled and instantiated
     *     here too; on a cluster only the static checks run, and a model this client cannot read (another file
     *     system, credentials only the cluster has) is left to the TaskManagers
     * @throws io.wasminference.errors.WasmInferenceException when the model is refused
     * @throws CommandFailure when Kafka cannot be reached or the input topic does not exist
     */
    public static void check(JobOptions o, boolean modelMustLoadHere, PrintStream out) {
        checkModel(o, modelMustLoadHere, out);
        checkTopics(o, out);
    }

    static void checkModel(JobOptions o, boolean modelMustLoadHere, PrintStream out) {
        byte[] bytes;
        try {
            bytes = o.model().load();
        } catch (ModelRefusedException e) {
            if (modelMustLoadHere || !(e.getCause() instanceof IOException)) {
                throw e;
            }
            out.println("note: this client cannot read the model (" + e.getMessage() + "); the TaskManagers will");
            return;
        }
        if (!modelMustLoadHere) {
            // main() may run inside the JobManager (REST, application mode): no native Wasmtime there, whose JNI
            // library would stay mapped per submission. The static checks need none; the TaskManagers compile.
            ModelMetadata meta = WasmModel.metadataOf(bytes, o.sandboxLimits().memoryLimitPages());
            out.println("model: " + meta.name() + ":" + meta.version() + " (sha256 "
                    + WasmModel.sha256(bytes).substring(0, 12) + "...) passes the static checks");
            return;
        }
        try (WasmModel model = WasmModel.load(bytes, o.sandboxLimits());
                ModelInstance instance = model.newInstance()) {
            out.println("model: " + model.metadata().name() + ":" + model.metadata().version() + " (sha256 "
                    + model.sha256().substring(0, 12) + "...) passes the sandbox's checks");
        }
    }

    static void checkTopics(JobOptions o, PrintStream out) {
        Properties p = o.kafkaProperties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrap());
        p.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) (KAFKA_TIMEOUT_SECONDS * 1000));
        Set<String> outputs = new LinkedHashSet<>(List.of(o.outputTopic(), o.deadLetterTopic()));
        if (o.controlTopic().isPresent()) {
            outputs.add(o.statusTopic());
        }
        Map<String, TopicListing> existing;
        try (Admin admin = Admin.create(p)) {
            existing = admin.listTopics().namesToListings().get(KAFKA_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AuthorizationException) {
                out.println("note: not allowed to list the topics at " + o.bootstrap() + "; not checked ("
                        + e.getCause().getMessage() + ")");
                return;
            }
            throw unreachable(o, e.getCause());
        } catch (TimeoutException e) {
            throw unreachable(o, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unreachable(o, e);
        }
        if (!existing.containsKey(o.inputTopic())) {
            throw new CommandFailure(CommandFailure.REFUSED, "the input topic " + o.inputTopic() + " does not exist at "
                    + o.bootstrap() + ": create it (or check --input-topic)");
        }
        List<String> missing = new ArrayList<>();
        for (String t : outputs) {
            if (!existing.containsKey(t)) {
                missing.add(t);
            }
        }
        if (!missing.isEmpty()) {
            out.println("note: " + String.join(", ", missing) + (missing.size() == 1 ? " does" : " do")
                    + " not exist yet; the first write creates a missing topic only if the broker allows it "
                    + "(auto.create.topics.enable, on by default)");
        }
    }

    private static CommandFailure unreachable(JobOptions o, Throwable cause) {
        return new CommandFailure(CommandFailure.REFUSED, "Kafka at " + o.bootstrap() + " did not answer within "
                + KAFKA_TIMEOUT_SECONDS + " s (" + cause + "); check --bootstrap and the kafka.* options (security "
                + "protocol, credentials)", cause);
    }
}
