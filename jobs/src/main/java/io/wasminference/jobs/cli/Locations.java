package io.wasminference.jobs.cli;

import io.wasminference.model.ModelRef;

/** Expands the {@code sample:NAME} shorthand of the command-line tool to the bundled sample models. */
public final class Locations {
    private Locations() {}

    public static final String SAMPLE = "sample:";

    /** {@code sample:NAME} becomes the bundled model; anything else is a {@link ModelRef} location. */
    public static ModelRef model(String location) {
        if (location.startsWith(SAMPLE)) {
            return ModelRef.of("classpath:samples/" + location.substring(SAMPLE.length()) + "/model.wasm");
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
