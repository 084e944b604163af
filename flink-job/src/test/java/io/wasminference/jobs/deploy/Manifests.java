package io.wasminference.jobs.deploy;

import io.wasminference.jobs.kafka.JobArguments;
import io.wasminference.jobs.kafka.JobOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The deployment manifests under {@code deploy/}, parsed with SnakeYAML. */
final class Manifests {
    static final String FLINK_DEPLOYMENT = "deploy/k8s/flink-deployment.yaml";
    static final String DOCKERFILE = "deploy/k8s/Dockerfile";
    static final String COMPOSE = "deploy/compose/compose.yaml";

    private Manifests() {}

    static Map<String, Object> yaml(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file)) {
            return yaml(r);
        }
    }

    static Map<String, Object> yaml(String text) {
        return yaml(new StringReader(text));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> yaml(Reader r) {
        Object doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
        if (!(doc instanceof Map)) {
            throw new IllegalArgumentException("not a YAML mapping: " + doc);
        }
        return (Map<String, Object>) doc;
    }

    /** The value at a dotted path of nested mappings ({@code spec.job.args}), or null. */
    @SuppressWarnings("unchecked")
    static <T> T at(Map<String, Object> doc, String path) {
        Object node = doc;
        for (String key : path.split("\\.")) {
            if (!(node instanceof Map)) {
                return null;
            }
            node = ((Map<String, Object>) node).get(key);
        }
        return (T) node;
    }

    /** Flattens nested mappings to dotted keys, as Flink reads its config.yaml; values as YAML parsed them. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> flatten(Map<String, Object> doc) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : doc.entrySet()) {
            if (e.getValue() instanceof Map) {
                flatten((Map<String, Object>) e.getValue()).forEach((k, v) -> out.put(e.getKey() + "." + k, v));
            } else {
                out.put(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    static Map<String, String> strings(Map<String, Object> flat) {
        Map<String, String> out = new LinkedHashMap<>();
        flat.forEach((k, v) -> out.put(k, String.valueOf(v)));
        return out;
    }

    /** A list of YAML scalars as strings. */
    static List<String> stringList(Object list) {
        List<String> out = new ArrayList<>();
        for (Object o : (List<?>) list) {
            out.add(String.valueOf(o));
        }
        return out;
    }

    /** Replaces the value of {@code --option} in job arguments (which must contain it). */
    static List<String> withOption(List<String> args, String option, String value) {
        List<String> out = new ArrayList<>(args);
        int i = out.indexOf(option);
        if (i < 0 || i + 1 >= out.size()) {
            throw new IllegalArgumentException(option + " not in " + args);
        }
        out.set(i + 1, value);
        return out;
    }

    static String option(List<String> args, String option) {
        int i = args.indexOf(option);
        return i < 0 || i + 1 >= args.size() ? null : args.get(i + 1);
    }

    /** The options of a job started with {@code run ARGS...}, parsed as the run command parses them. */
    static JobOptions jobOptions(List<String> args) {
        if (args.isEmpty() || !args.get(0).equals("run")) {
            throw new IllegalArgumentException("not a run command: " + args);
        }
        return JobArguments.parse(args.subList(1, args.size()).toArray(String[]::new));
    }
}
