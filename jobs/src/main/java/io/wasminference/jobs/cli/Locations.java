package io.wasminference.jobs.cli;

import io.wasminference.model.ModelRef;

import java.util.List;
import java.util.stream.Collectors;

/** Expands the {@code sample:NAME} shorthand of the command-line tool to the bundled sample models. */
public final class Locations {
    private Locations() {}

    public static final String SAMPLE = "sample:";

    /** The models bundled in the jar (the {@code samples} module). */
    public static final List<String> SAMPLES = List.of("fashion-lenet5", "digits-mlp");

    /**
     * {@code sample:NAME} becomes the bundled model, a classpath resource (so it resolves on every TaskManager that
     * runs the jar); anything else is a {@link ModelRef} location.
     *
     * @throws UsageException for a sample that is not bundled
     */
    public static ModelRef model(String location) {
        if (location.startsWith(SAMPLE)) {
            String name = location.substring(SAMPLE.length());
            String resource = "samples/" + name + "/model.wasm";
            if (name.isEmpty() || name.contains("/") || Locations.class.getClassLoader().getResource(resource) == null) {
                throw new UsageException("unknown sample '" + name + "' in " + location + ": the bundled models are "
                        + SAMPLES.stream().map(n -> SAMPLE + n).collect(Collectors.joining(", ")));
            }
            return ModelRef.of("classpath:" + resource);
        }
        return ModelRef.of(location);
    }

    /** {@code sample:NAME} becomes the bundled golden vectors of that model; anything else is a file path. */
    public static String golden(String location) {
        if (location.startsWith(SAMPLE)) {
            return "classpath:samples/" + location.substring(SAMPLE.length()) + "/golden.jsonl";
        }
        return location;
    }

    /** {@code sample:NAME} becomes the bundled test set of that model; anything else is a file path. */
    public static String dataset(String location) {
        if (location.startsWith(SAMPLE)) {
            return "classpath:samples/" + location.substring(SAMPLE.length()) + "/test.jsonl.gz";
        }
        return location;
    }
}
