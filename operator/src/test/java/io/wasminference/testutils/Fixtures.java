package io.wasminference.testutils;

import io.wasminference.format.JsonSampleCodec;
import io.wasminference.format.Sample;
import io.wasminference.abi.ModelMetadata;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/** Test fixtures on the classpath: the WAT corpus ({@code wasm/NAME.wasm}) and the sample models. */
public final class Fixtures {
    /** The two trained sample models. */
    public static final List<String> SAMPLE_MODELS = List.of("digits-mlp", "fashion-lenet5");

    private Fixtures() {}

    /** A module of the test corpus built from samples/hostile/NAME.wat. */
    public static byte[] wasm(String name) {
        return resource("/wasm/" + name + ".wasm");
    }

    /** A file of a sample model, e.g. {@code sample("digits-mlp", "model.wasm")}. */
    public static byte[] sample(String model, String file) {
        return resource("/samples/" + model + "/" + file);
    }

    /** Lines of a (possibly gzipped) JSON-lines resource of a sample model. */
    public static List<String> sampleLines(String model, String file) {
        String path = "/samples/" + model + "/" + file;
        try (InputStream raw = open(path);
                InputStream in = file.endsWith(".gz") ? new GZIPInputStream(raw) : raw;
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            List<String> lines = new ArrayList<>();
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.isBlank()) {
                    lines.add(line);
                }
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The held-out labelled test set of a sample model, decoded. */
    public static List<Sample> testSet(String model, ModelMetadata metadata) {
        JsonSampleCodec codec = new JsonSampleCodec(metadata);
        return sampleLines(model, "test.jsonl.gz").stream().map(codec::decode).toList();
    }

    private static byte[] resource(String path) {
        try (InputStream in = open(path)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream open(String path) {
        InputStream in = Fixtures.class.getResourceAsStream(path);
        if (in == null) {
            throw new IllegalArgumentException("no test resource " + path
                    + " (rebuild fixtures with samples/build.sh)");
        }
        return in;
    }
}
